"""Ranking: the matching documents of a query and their fused scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SearchError
from .facets import Facets
from .fusion import FusionConfig, minmax
from .scores import QueryScores
from .vectors import VectorIndex


@dataclass
class Ranking:
    """Matching documents (``candidates``), scores indexed by document, the semantic top
    list (for "why" explanations) and which documents match closely (indexed by document)."""

    candidates: np.ndarray
    score: np.ndarray
    semantic_top: np.ndarray
    close: np.ndarray


def close_matches(
    s: QueryScores, cand: np.ndarray, mode: str, fusion: FusionConfig, vectors: VectorIndex
) -> np.ndarray:
    """Which candidates match the query closely (a bool per document).

    Every document holding one query term counts as a keyword match, so ``total`` alone cannot
    say how many documents are about the query. The cut asks for most of the query's term weight
    or a high semantic similarity, or in hybrid a sum of the two (``FusionConfig.close_*``).
    """
    close = np.zeros(vectors.n_docs, dtype=bool)
    if len(cand) == 0:
        return close
    cov = s.coverage[cand] if s.coverage is not None else np.zeros(len(cand))
    if mode == "keyword":
        close[cand] = cov >= fusion.close_coverage - 1e-9
        return close
    sem = vectors.doc_similarity(s, cand).astype(np.float64)
    if mode == "semantic":
        close[cand] = sem >= fusion.close_semantic
    else:
        close[cand] = sem + fusion.close_keyword_weight * cov >= fusion.close_min
    return close


def _keyword_matches(s: QueryScores, allowed: np.ndarray) -> np.ndarray:
    if s.keyword is None:
        return np.zeros(0, dtype=np.int64)
    kw = s.keyword
    found = np.nonzero(allowed & (kw > 0))[0]
    return found[np.lexsort((found, -kw[found]))]


def _fuse(
    s: QueryScores,
    score: np.ndarray,
    cand: np.ndarray,
    kw_top: np.ndarray,
    sem_top: np.ndarray,
    fusion: FusionConfig,
    vectors: VectorIndex,
) -> None:
    assert s.keyword is not None
    if fusion.method == "rrf":
        k = float(fusion.rrf_k)
        score[kw_top] += fusion.weight_keyword / (k + np.arange(1, len(kw_top) + 1))
        score[sem_top] += fusion.weight_semantic / (k + np.arange(1, len(sem_top) + 1))
    elif fusion.method == "weighted":
        kw_c = s.keyword[cand].astype(np.float64)
        sem_c = vectors.doc_similarity(s, cand).astype(np.float64)
        a = float(fusion.alpha)
        score[cand] = a * minmax(sem_c) + (1 - a) * minmax(kw_c)
    else:
        raise SearchError(f"Unknown fusion method {fusion.method!r}; use 'rrf' or 'weighted'.")


def rank(
    s: QueryScores,
    allowed: np.ndarray,
    mode: str,
    fusion: FusionConfig,
    named: dict[str, set[str]],
    vectors: VectorIndex,
    facets: Facets,
) -> Ranking:
    """Hybrid fuses the keyword top ``depth`` and the semantic top ``depth``; keyword matches
    beyond the keyword top ``depth`` still count as results and rank after the fused ones.
    Documents found only by the semantic retriever must reach ``fusion.semantic_min``."""
    score = np.zeros(len(allowed), dtype=np.float64)
    kw_all = _keyword_matches(s, allowed)
    kw_top = kw_all[: fusion.depth]
    sem_top = np.zeros(0, dtype=np.int64)
    sem_scores = np.zeros(0, dtype=np.float32)
    if s.vector is not None:
        sem_top, sem_scores = vectors.top_documents(s, allowed, fusion.depth)
        if mode == "hybrid" and fusion.semantic_min > 0:
            keep = sem_scores >= fusion.semantic_min
            sem_top, sem_scores = sem_top[keep], sem_scores[keep]
    if mode == "keyword":
        assert s.keyword is not None
        score[kw_all] = s.keyword[kw_all]
        return Ranking(kw_all, score, sem_top, close_matches(s, kw_all, mode, fusion, vectors))
    if mode == "semantic":
        score[sem_top] = sem_scores
        return Ranking(sem_top, score, sem_top, close_matches(s, sem_top, mode, fusion, vectors))
    cand = np.union1d(kw_top, sem_top)
    if len(cand) == 0:
        return Ranking(cand, score, sem_top, np.zeros(len(allowed), dtype=bool))
    _fuse(s, score, cand, kw_top, sem_top, fusion, vectors)
    if fusion.tag_boost and named:
        top = float(score[cand].max())
        score[cand] += fusion.tag_boost * top * facets.tagged(named)[cand]
    rest = kw_all[fusion.depth :]
    rest = rest[~np.isin(rest, cand)]
    if len(rest):  # below every fused candidate, in keyword order
        floor = float(score[cand].min())
        score[rest] = floor - 1e-6 * np.arange(1, len(rest) + 1)
        cand = np.concatenate([cand, rest])
    return Ranking(cand, score, sem_top, close_matches(s, cand, mode, fusion, vectors))
