"""The per-query score record shared by the ranking, the vector index and the explanations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class QueryScores:
    """Scores of one query text against the whole index (cached per text and mode)."""

    text: str
    tokens: list[str]
    #: BM25 score of every document (keyword and hybrid modes)
    keyword: np.ndarray | None = None
    #: the query's embedding (semantic and hybrid modes)
    vector: np.ndarray | None = None
    #: cosine similarity of every passage, when computed exactly
    passage_sim: np.ndarray | None = None
    #: best-passage similarity of every document, when computed exactly
    doc_sim: np.ndarray | None = None
    #: share of the query's term weight (IDF) each document contains (keyword and hybrid modes);
    #: terms the library never uses count in the whole, so they lower every document's share
    coverage: np.ndarray | None = None
    #: a document's similarity mixes in the mean of its passages' and its first passage's
    #: (title and summary) with these weights; the rest is its best passage's
    mean_weight: float = 0.0
    first_weight: float = 0.0
