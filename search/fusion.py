"""Fusion of keyword and semantic scores, and its configuration."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

MODES = ("hybrid", "keyword", "semantic")


@dataclass(frozen=True)
class FusionConfig:
    """How hybrid mode combines the two retrievers. Defaults chosen by measurement
    (docs/benchmarks.md).

    - ``method="rrf"``: reciprocal rank fusion, ``w_kw/(k + rank_kw) + w_sem/(k + rank_sem)``.
    - ``method="weighted"``: ``alpha * sem_norm + (1 - alpha) * kw_norm`` where each score is
      min-max normalised over the candidate set (the union of both retrievers' top ``depth``).
    """

    method: str = "weighted"
    rrf_k: int = 60
    weight_keyword: float = 1.0
    weight_semantic: float = 1.0
    alpha: float = 0.45
    #: candidates taken from each retriever (documents) before fusion
    depth: int = 100
    #: hybrid mode: documents found only by the semantic retriever count as matches when their
    #: best passage has at least this cosine similarity (and is within the semantic top ``depth``)
    semantic_min: float = 0.3
    #: taxonomy boost: documents tagged with a theme/outcome the query names get this much
    #: added to their fused score (0 disables; see docs/benchmarks.md)
    tag_boost: float = 0.0
    #: the relevance cut ("closely matching"): hybrid needs ``cosine + close_keyword_weight x
    #: coverage >= close_min`` (coverage: the IDF share of the query's terms a document holds);
    #: keyword mode needs coverage >= ``close_coverage``, semantic cosine >= ``close_semantic``.
    #: Calibrated on the development split of content/eval (docs/benchmarks.md).
    close_min: float = 0.75
    close_keyword_weight: float = 0.7
    close_coverage: float = 0.6
    close_semantic: float = 0.45
    #: whether closely matching documents rank before the others (each group by score)
    close_first: bool = True
    #: query expansion from the vocabulary: "none", "acronyms" (SME <-> small and medium
    #: enterprises) or "synonyms" (also the labels and synonyms of the themes/outcomes named);
    #: the added terms' BM25 is weighted by ``expand_weight``, and with ``expand_semantic`` the
    #: phrases are appended to the text that is embedded
    expand: str = "acronyms"
    expand_weight: float = 0.5
    expand_semantic: bool = True
    #: a document's semantic score: ``(1 - mean - first) x best passage + mean x mean of its
    #: passages + first x its first passage (title and summary)``
    passage_mean: float = 0.0
    passage_first: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> FusionConfig:
        if not d:
            return cls()
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def with_(self, **kw: Any) -> FusionConfig:
        return replace(self, **kw)


def ranks_desc(scores: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """1-based rank of each candidate by descending score (ties by index)."""
    order = np.lexsort((candidates, -scores[candidates]))
    ranks = np.empty(len(candidates), dtype=np.int64)
    ranks[order] = np.arange(1, len(candidates) + 1)
    return ranks


def minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-12:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)
