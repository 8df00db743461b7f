""" "What works for my procurement?": rank case studies for a procurement's text *and* fields.

Text relevance comes from the hybrid search engine; the procurement's CPV category, the themes
the council prioritises and its region add to it. The weights were chosen by measurement on the
judged procurement set in content/eval/procurements (see docs/benchmarks.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb.store.catalogue import CaseStudyView, Catalogue

if TYPE_CHECKING:
    from search.engine import SearchEngine

MAX_TEXT = 5000


@dataclass
class ProcurementRequest:
    title: str = ""
    description: str = ""
    cpv: list[str] = field(default_factory=list)  # CPV codes or two-digit divisions
    value_gbp: int | None = None
    region: str | None = None
    themes: list[str] = field(default_factory=list)
    duration_months: int | None = None
    buyer_type: str | None = None  # an organisation type slug
    kind: str | None = None  # goods | services | works, when the notice says

    @property
    def text(self) -> str:
        return "\n".join(t for t in (self.title.strip(), self.description.strip()) if t)[:MAX_TEXT]

    @property
    def divisions(self) -> list[str]:
        return cpv_divisions(self.cpv)


def cpv_divisions(codes: list[str]) -> list[str]:
    """Two-digit divisions from CPV codes such as '45000000-7', '45210000' or '45'."""
    out: list[str] = []
    for code in codes:
        digits = re.sub(r"\D", "", str(code).split("-")[0])
        if len(digits) >= 2 and digits[:2] not in out:
            out.append(digits[:2])
    return out


@dataclass
class Weights:
    """How much each signal adds to a case study's score. Text relevance is scaled so the best
    text match scores 1. Defaults measured with bench/recommend.py on the judged procurements in
    content/eval/procurements: nDCG@5 is flat for cpv 0.5-1.5, theme 0.2-0.5, region 0-0.3 and
    cross_cutting 0-0.2 (differences within one standard error), so each is set in the middle
    of its plateau rather than at the single best grid cell.
    """

    text: float = 1.0
    cpv: float = 0.75  # shares the main CPV division (half for an additional division)
    cross_cutting: float = (
        0.1  # a policy that applies to all spend is partly relevant to any category
    )
    theme: float = 0.3  # times the share of the council's priority themes the case study shares
    region: float = 0.1  # a tie-breaker: the judged set shows no reliable gain from more
    depth: int = 50  # how many text matches to consider


@dataclass
class Reason:
    kind: str  # category | themes | outcomes | need | region
    text: str
    values: list[str] = field(default_factory=list)


@dataclass
class Recommendation:
    case_study: CaseStudyView
    score: float
    reasons: list[Reason]
    snippet_html: str = ""
    snippet_heading: str = ""
    similarity: float | None = None  # the best passage's cosine similarity to the text
    shared_terms: list[str] = field(default_factory=list)  # meaningful words both use

    def to_json(self) -> dict[str, Any]:
        cs = self.case_study
        return {
            "slug": cs.slug,
            "title": cs.title,
            "organisation": cs.organisation,
            "summary": cs.summary,
            "region": cs.regions,
            "years": {"start": cs.year_start, "end": cs.year_end},
            "evidence": cs.evidence,
            "themes": cs.themes,
            "outcomes": cs.outcomes,
            "score": round(self.score, 4),
            "snippet_html": self.snippet_html,
            "reasons": [{"kind": r.kind, "text": r.text, "values": r.values} for r in self.reasons],
        }


@dataclass
class SuggestedOutcome:
    slug: str
    label: str
    description: str
    case_studies: list[str]


@dataclass
class Approach:
    slug: str
    title: str
    text: str


@dataclass
class RecommendationSet:
    request: ProcurementRequest
    items: list[Recommendation]
    outcomes: list[SuggestedOutcome]
    approaches: list[Approach]
    mode: str

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "recommendations": [r.to_json() for r in self.items],
            "suggested_outcomes": [o.__dict__ for o in self.outcomes],
            "approaches": [a.__dict__ for a in self.approaches],
        }


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z£0-9])")


def _first_sentences(markdown: str, n: int = 2, limit: int = 400) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^\s*(?:[-*+]|\d{1,3}[.)]|#+)\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"[*_`]", "", " ".join(text.split()))
    out = " ".join(_SENTENCE.split(text)[:n])
    return out if len(out) <= limit else out[: limit - 1].rsplit(" ", 1)[0] + "…"


def _section(body: str, name: str) -> str:
    m = re.search(rf"^##\s+{name}\s*$(.*?)(?=^##\s|\Z)", body, flags=re.MULTILINE | re.DOTALL)
    return m.group(1).strip() if m else ""


def recommend(
    engine: SearchEngine | None,
    catalogue: Catalogue,
    req: ProcurementRequest,
    *,
    limit: int = 5,
    mode: str = "hybrid",
    weights: Weights | None = None,
) -> RecommendationSet:
    """Rank case studies for a procurement. `engine` may be None (fields-only ranking)."""
    from search.engine import SearchQuery

    w = weights or Weights()
    tax = catalogue.taxonomy
    text_score: dict[str, float] = {}
    snippets: dict[str, tuple[str, str]] = {}
    sims: dict[str, float | None] = {}
    terms: dict[str, list[str]] = {}
    named: dict[str, set[str]] = {}
    if engine is not None and req.text:
        res = engine.search(SearchQuery(text=req.text, mode=mode, per_page=w.depth))
        top = max((h.score for h in res.hits), default=0.0) or 1.0
        for h in res.hits:
            text_score[h.id] = h.score / top
            snippets[h.id] = (h.snippet_html, h.snippet_heading)
            sims[h.id] = h.why.get("semantic_similarity")
            terms[h.id] = list(h.why.get("keyword_terms") or [])
            for facet, vals in (h.why.get("query_names") or {}).items():
                named.setdefault(facet, set()).update(vals)
    divisions = set(req.divisions)
    # A notice's first CPV code is its main category; the others are additional codes (a repairs
    # contract that also lists some construction work). Sharing only an additional category
    # counts for half: measured on the judged set (bench/recommend.py), it keeps general
    # construction cases from crowding out repairs cases for a repairs tender.
    main_division = req.divisions[0] if req.divisions else None
    wanted_themes = [t for t in req.themes if t in tax.themes]
    scored: list[Recommendation] = []
    for cs in catalogue.case_studies.values():
        reasons: list[Reason] = []
        score = w.text * text_score.get(cs.slug, 0.0)
        same_cpv = [c for c in cs.cpv if c in divisions]
        if same_cpv:
            score += w.cpv if main_division in same_cpv else w.cpv / 2
            reasons.append(
                Reason(
                    "category",
                    "Same category: "
                    + "; ".join(f"CPV {c} {tax.cpv_divisions.label(c)}" for c in same_cpv),
                    same_cpv,
                )
            )
        elif divisions and cs.scope == "cross-cutting":
            score += w.cross_cutting
            reasons.append(Reason("category", "A policy applied across all of the buyer's spend"))
        shared = [t for t in wanted_themes if t in cs.themes]
        if shared:
            score += w.theme * len(shared) / len(wanted_themes)
            reasons.append(
                Reason(
                    "themes",
                    "Matches your priorities: " + ", ".join(tax.themes.label(t) for t in shared),
                    shared,
                )
            )
        named_outcomes = [o for o in cs.outcomes if o in named.get("outcome", set())]
        if named_outcomes:
            reasons.append(
                Reason(
                    "outcomes",
                    "Delivers outcomes your procurement mentions: "
                    + ", ".join(tax.outcomes.label(o) for o in named_outcomes),
                    named_outcomes,
                )
            )
        if cs.slug in text_score and text_score[cs.slug] >= 0.5:
            shared_words = terms.get(cs.slug, [])[:4]
            reasons.append(
                Reason(
                    "need",
                    "Both mention " + ", ".join(f"“{w}”" for w in shared_words)
                    if shared_words
                    else "Close in meaning to your description",
                    shared_words,
                )
            )
        if req.region and req.region in cs.regions:
            score += w.region
            reasons.append(
                Reason("region", f"Same region: {tax.regions.label(req.region)}", [req.region])
            )
        if score > 0:
            snip, heading = snippets.get(cs.slug, ("", ""))
            scored.append(
                Recommendation(
                    cs, score, reasons, snip, heading, sims.get(cs.slug), terms.get(cs.slug, [])
                )
            )
    scored.sort(key=lambda r: (-r.score, r.case_study.slug))
    items = scored[:limit]
    return RecommendationSet(
        req,
        items,
        _gather_outcomes(items, catalogue, req),
        _gather_approaches(items),
        mode if engine is not None else "fields",
    )


def _gather_outcomes(
    items: list[Recommendation], catalogue: Catalogue, req: ProcurementRequest
) -> list[SuggestedOutcome]:
    """Outcomes that recommended case studies delivered, most supported first."""
    weight: dict[str, float] = {}
    users: dict[str, list[str]] = {}
    for rank, rec in enumerate(items):
        for o in rec.case_study.outcomes:
            weight[o] = (
                weight.get(o, 0.0)
                + 1.0 / (1 + rank)
                + (
                    0.5
                    if set(catalogue.taxonomy.outcomes.terms[o].themes) & set(req.themes)
                    else 0.0
                )
            )
            users.setdefault(o, []).append(rec.case_study.slug)
    out = []
    for slug in sorted(weight, key=lambda o: -weight[o])[:8]:
        term = catalogue.taxonomy.outcomes.terms[slug]
        out.append(SuggestedOutcome(slug, term.label, term.description, users[slug]))
    return out


def _gather_approaches(items: list[Recommendation]) -> list[Approach]:
    out = []
    for rec in items:
        text = _first_sentences(_section(rec.case_study.body, "Approach"))
        if text:
            out.append(Approach(rec.case_study.slug, rec.case_study.title, text))
    return out
