"""Helpers shared by the benchmarks: the shipped content, replicated to a given size."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kb.services.indexing import eval_corpus, library_documents  # noqa: E402
from search.documents import Document  # noqa: E402

CONTENT = ROOT / "content"
REGIONS = [
    "north-east",
    "north-west",
    "yorkshire-and-the-humber",
    "east-midlands",
    "west-midlands",
    "east-of-england",
    "london",
    "south-east",
    "south-west",
    "wales",
    "scotland",
    "northern-ireland",
]

SHORT_QUERIES = [
    "long-term employment regeneration",
    "apprenticeships on construction frameworks",
    "sustained jobs for economically inactive residents",
    "Real Living Wage",
    "Section 106",
    "NT1 local recruitment",
    "community wealth building anchor institutions",
    "spend with local small businesses",
    "home care workers paid for travel time",
    "carbon reduction in the supply chain",
    "insourcing services into a council-owned company",
    "laptops for digitally excluded residents",
    "community asset transfer of libraries",
    "measuring social value with the National TOMs",
    "school meals local food",
    "volunteering by supplier staff",
    "prompt payment of subcontractors",
    "apprenticeships for care leavers",
    "zero-hours contracts in home care",
    "social value in IT contracts",
]
TENDER_QUERIES = [
    "We are procuring a highways maintenance contract worth 40 million pounds over seven years "
    "and want the contractor to create local jobs, apprenticeships and to spend with local SMEs.",
    "A framework for housing repairs and planned maintenance. Social value should focus on "
    "training for tenants, work placements and reducing fuel poverty.",
    "Domiciliary care re-tender: we want fair pay for care workers and better continuity of care "
    "for older people.",
    "The council is re-procuring its waste collection and street cleansing service. We want "
    "the contractor to pay the Real Living Wage, cut vehicle emissions and recruit from the "
    "most deprived wards.",
    "A framework for school catering: healthier menus, local food producers and work "
    "placements for young people.",
]
QUERIES = SHORT_QUERIES + TENDER_QUERIES


def shipped_documents() -> list[Document]:
    return library_documents(CONTENT)[0]


def load_eval_corpus(beir_dir: Path):
    """(documents, vocabulary) of an evaluation folder: BEIR corpus.jsonl, or the case studies."""
    from search.evaluate import load_corpus

    return eval_corpus(beir_dir) or load_corpus(beir_dir)


def vocabulary():
    return library_documents(CONTENT)[1]


def replicate(docs: list[Document], n: int, *, distinct_text: bool = False) -> list[Document]:
    """``n`` documents made from ``docs``: new ids, rotated region and years.

    With ``distinct_text`` every copy's title carries its copy number, so every passage is new to
    the embedding cache (for honest full-build timings); otherwise copies share their text (and
    embeddings), which is enough for search latency and memory.
    """
    out: list[Document] = []
    i = 0
    while len(out) < n:
        for d in docs:
            if len(out) >= n:
                break
            if i == 0:
                out.append(d)
                continue
            meta = dict(d.metadata)
            meta["region"] = [REGIONS[(len(out) + i) % len(REGIONS)]]
            if meta.get("year_start"):
                meta["year_start"] = int(meta["year_start"]) - (i % 5)
            title = f"{d.title} (copy {i})" if distinct_text else d.title
            out.append(replace(d, id=f"{d.id}--{i}", title=title, metadata=meta))
        i += 1
    return out


def content_hash(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(d.fingerprint().encode())
    return h.hexdigest()
