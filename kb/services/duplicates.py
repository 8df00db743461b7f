"""Warn when a case study looks like a near-duplicate of one already in the library.

Two case studies are compared by the cosine similarity of their summaries, embedded with the
project's model (the summary is what a contributor writes to say what the case study is about,
and every file has one). Above ``THRESHOLD`` the new file gets a warning naming the existing one.

How the threshold was chosen (``python bench/duplicates.py`` prints the figures): the summaries
of the 52 shipped case studies, which are all distinct, were compared pairwise, and each was
compared with edited copies of itself (sentences reordered, words dropped or swapped, figures
changed, the summary cut short, a new opening clause) and with hand-written paraphrases of
twelve of them. The threshold is the midpoint between the most similar pair of distinct shipped
case studies (0.722: two councils' social value frameworks) and the 5th percentile of the
paraphrases (0.849), rounded: 0.79. At 0.79 no distinct shipped pair is flagged, every
paraphrase is, and 98.5% of the 260 edited copies are (the misses are copies with a fifth of the
words dropped or half the sentences cut). See bench/duplicates.py.

The check is a warning, never an error: two organisations can genuinely do similar things, and a
reviewer decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb.content.files import read_limited
from kb.content.validate import Problem, Report
from kb.settings import Settings

if TYPE_CHECKING:
    from search.embedding import Embedder

#: Cosine similarity of summaries at or above which a warning is given (see module docstring).
THRESHOLD = 0.79
CODE = "near-duplicate"


@dataclass
class Summary:
    path: str
    title: str
    summary: str
    line: int = 1
    column: int = 1


def summary_of(path: Path) -> Summary | None:
    """The summary of a case-study file, read leniently (None when it has none)."""
    from kb.content.frontmatter import FrontMatterError, parse

    try:
        parsed = parse(read_limited(Path(path)).decode("utf-8").removeprefix("\ufeff"))
    except (OSError, UnicodeDecodeError, FrontMatterError):
        return None
    summary = parsed.data.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        return None
    title = str(parsed.data["title"]) if isinstance(parsed.data.get("title"), str) else ""
    line, col = parsed.position(("summary",))
    return Summary(str(path), title, " ".join(summary.split()), line, col)


def embed_summaries(
    texts: Sequence[str], settings: Settings, embedder: Embedder | None = None
) -> np.ndarray:
    """Normalised embeddings of ``texts`` with the configured model, cached on disk if possible.

    ``embedder`` reuses an open one (the web app passes the served index's)."""
    from search.build import embedding_cache_path
    from search.embedding import Embedder, EmbeddingCache, embed_with_cache, model_identity

    embedder = embedder or Embedder(settings.model)
    try:
        cache = EmbeddingCache(
            embedding_cache_path(settings.index_dir), model_identity(settings.model)
        )
    except Exception:  # no writable data folder: embed every time
        return embedder.encode(list(texts))
    with cache:
        return embed_with_cache(embedder, texts, cache)


def similar_pairs(
    new: Sequence[Summary],
    existing: Sequence[Summary],
    vectors: np.ndarray,
    threshold: float = THRESHOLD,
) -> list[tuple[Summary, Summary, float]]:
    """(new, earlier, similarity) for each new summary against the existing ones and the new
    ones before it. ``vectors`` holds the existing summaries' rows, then the new ones'."""
    n_old = len(existing)
    out: list[tuple[Summary, Summary, float]] = []
    everyone = [*existing, *new]
    for k, s in enumerate(new):
        row = n_old + k
        sims = vectors[:row] @ vectors[row]
        for j in np.argsort(-sims):
            if sims[j] < threshold:
                break
            out.append((s, everyone[int(j)], float(sims[j])))
    return out


def near_duplicate_warnings(
    report: Report,
    library_paths: Sequence[Path],
    settings: Settings,
    *,
    threshold: float = THRESHOLD,
) -> list[Problem]:
    """Warnings (code "near-duplicate") for checked case studies that look like existing ones.

    The checked files are ``report.case_studies`` (those without errors). Each is compared with
    every library file that was not itself checked, and with the checked files before it. The
    model is loaded only when there is something to compare: no checked case study, or no
    library file outside the checked ones, returns at once.
    """
    checked = {Path(cs.path).resolve(): cs for cs in report.case_studies}
    if not checked:
        return []
    others = [p for p in library_paths if Path(p).resolve() not in checked]
    if not others:
        return []
    existing = [s for s in (summary_of(p) for p in others) if s is not None]
    new: list[Summary] = []
    for cs in report.case_studies:
        found = summary_of(Path(cs.path))
        if found is None:
            found = Summary(cs.path, cs.title, " ".join(cs.meta.summary.split()))
        found.path = cs.path  # name the file as the user gave it
        new.append(found)
    if not existing and len(new) < 2:
        return []
    try:
        vectors = embed_summaries([s.summary for s in [*existing, *new]], settings)
    except Exception as exc:  # the model cannot be loaded: say so, but do not fail validation
        return [
            Problem(
                new[0].path,
                1,
                1,
                "warning",
                f"near-duplicate check skipped: {exc}",
                "near-duplicate-skipped",
            )
        ]
    problems = []
    for s, other, sim in similar_pairs(new, existing, vectors, threshold):
        problems.append(
            Problem(
                s.path,
                s.line,
                s.column,
                "warning",
                f"the summary is very similar to {other.path} (“{_short(other.title)}”, "
                f"similarity {sim:.2f}): if it is the same work, update that file instead; "
                "if not, say in the summary what makes this one different",
                CODE,
            )
        )
    return problems


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"
