"""Passage vectors and semantic search over them: exact for small libraries, HNSW for large.

Both classes answer the same questions (the best documents for a query vector among those a
filter allows, and the best-passage similarity of given documents); :func:`open_vector_index`
picks the one a build holds, as txtai picks an ANN backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .scores import QueryScores

#: An approximate search is tried only when the filter allows at least this share of documents.
APPROX_MIN_SHARE = 0.3


class VectorIndex:
    """Exact search: every passage's cosine similarity, one matrix product per query."""

    approximate = False

    def __init__(self, flat: Any, p_doc: np.ndarray, n_docs: int):
        import faiss

        self.flat = flat
        self.ntotal = int(flat.ntotal)
        self.dim = int(flat.d)
        self.p_doc = p_doc
        self.n_docs = n_docs
        self.vectors = faiss.rev_swig_ptr(flat.get_xb(), self.ntotal * self.dim).reshape(
            self.ntotal, self.dim
        )
        self.p_start = np.searchsorted(p_doc, np.arange(self.n_docs))
        self.p_end = np.append(self.p_start[1:], self.ntotal)

    @staticmethod
    def _doc_scores(s: QueryScores, ps: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Per document (passages ``ps`` in runs beginning at ``starts``): the best passage's
        similarity, mixed with the mean and the first passage's when the query asks."""
        best = np.maximum.reduceat(ps, starts)
        if not (s.mean_weight or s.first_weight):
            return best
        counts = np.diff(np.append(starts, len(ps)))
        mean = np.add.reduceat(ps, starts) / counts
        m, f = np.float32(s.mean_weight), np.float32(s.first_weight)
        return ((1 - m - f) * best + m * mean + f * ps[starts]).astype(np.float32)

    def score_all(self, s: QueryScores) -> None:
        """Fill in every passage's and document's similarity to the query vector."""
        assert s.vector is not None
        ps = self.vectors @ s.vector
        s.passage_sim = ps
        s.doc_sim = self._doc_scores(s, ps, self.p_start) if len(ps) else ps

    def prepare(self, s: QueryScores) -> None:
        """Work done once per query text (and cached with it)."""
        self.score_all(s)

    def passage_sims(self, s: QueryScores, start: int, end: int) -> np.ndarray:
        assert s.vector is not None
        if s.passage_sim is not None:
            return s.passage_sim[start:end]
        return self.vectors[start:end] @ s.vector

    def doc_similarity(self, s: QueryScores, docs: np.ndarray) -> np.ndarray:
        """Best-passage cosine similarity of each document in ``docs`` (exact)."""
        if s.doc_sim is not None:
            return s.doc_sim[docs]
        if len(docs) == 0:
            return np.zeros(0, dtype=np.float32)
        assert s.vector is not None
        starts, ends = self.p_start[docs], self.p_end[docs]
        lens = ends - starts
        offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
        rows = np.repeat(starts - offsets, lens) + np.arange(lens.sum())
        return self._doc_scores(s, self.vectors[rows] @ s.vector, offsets)

    def top_documents(
        self, s: QueryScores, allowed: np.ndarray, depth: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``depth`` allowed documents with the best passage similarity, best first."""
        depth = min(depth, int(np.count_nonzero(allowed)))
        if depth <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if s.doc_sim is None and np.count_nonzero(allowed) < APPROX_MIN_SHARE * self.n_docs:
            docs = np.nonzero(allowed)[0]  # a selective filter: score only what it allows
            sem = self.doc_similarity(s, docs)
            order = np.lexsort((docs, -sem))[:depth]
            return docs[order], sem[order]
        if s.doc_sim is None:
            self.score_all(s)
        assert s.doc_sim is not None
        sem = s.doc_sim
        pool = np.nonzero(allowed)[0]
        top = pool if depth >= len(pool) else pool[np.argpartition(-sem[pool], depth - 1)[:depth]]
        top = top[np.lexsort((top, -sem[top]))]
        return top, sem[top]


class HNSWVectorIndex(VectorIndex):
    """Approximate passage search for large libraries (its storage is the flat copy).

    Falls back to exact search over the allowed documents when a filter is selective or the
    approximate list runs short, so a filtered page is never emptier than an exact one.
    """

    approximate = True

    def __init__(self, hnsw: Any, p_doc: np.ndarray, n_docs: int):
        import faiss

        self.hnsw = hnsw
        super().__init__(faiss.downcast_index(hnsw.storage), p_doc, n_docs)

    def prepare(self, s: QueryScores) -> None:
        pass  # nothing per passage up front: the graph search finds the candidates

    def top_documents(
        self, s: QueryScores, allowed: np.ndarray, depth: int
    ) -> tuple[np.ndarray, np.ndarray]:
        n_allowed = int(np.count_nonzero(allowed))
        depth = min(depth, n_allowed)
        if depth <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if s.doc_sim is None and n_allowed >= APPROX_MIN_SHARE * self.n_docs:
            import faiss

            assert s.vector is not None
            k = min(self.ntotal, depth * 8)
            params = faiss.SearchParametersHNSW(efSearch=max(128, k))  # type: ignore[attr-defined]
            _, idx = self.hnsw.search(s.vector[None, :], k, params=params)
            idx = idx[0][idx[0] >= 0]
            docs = np.unique(self.p_doc[idx])
            docs = docs[allowed[docs]]
            if len(docs) >= depth:
                sem = self.doc_similarity(s, docs)
                order = np.lexsort((docs, -sem))[:depth]
                return docs[order], sem[order]
        return super().top_documents(s, allowed, depth)


def open_vector_index(build_dir: Path, p_doc: np.ndarray, n_docs: int) -> VectorIndex:
    """The build's vector index: HNSW when the build made one, else exact."""
    import faiss

    hnsw_path = build_dir / "vectors.hnsw.faiss"
    if hnsw_path.exists():
        return HNSWVectorIndex(faiss.read_index(str(hnsw_path)), p_doc, n_docs)
    return VectorIndex(faiss.read_index(str(build_dir / "vectors.faiss")), p_doc, n_docs)
