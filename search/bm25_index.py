"""Reading a saved BM25 index with NumPy alone, for serving.

``bm25s`` builds and saves the index (``search.build``). Serving needs only its postings and a
sum over them per query term, while importing ``bm25s`` also imports numba and SciPy: about
140 MB of resident memory and most of a second of start-up. The sums here are the same as
``bm25s.BM25.get_scores_from_ids`` for the methods without a non-occurrence term (Lucene, the
default, Robertson and ATIRE); ``tests/search/test_bm25_index.py`` compares them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: bm25s methods whose scores are the postings alone (BM25L and BM25+ add a per-term constant)
PLAIN_METHODS = frozenset({"lucene", "robertson", "atire"})


class BM25Index:
    """The postings of a saved bm25s index: term id -> (documents, scores), in CSC arrays."""

    def __init__(self, folder: Path | str):
        folder = Path(folder)
        params = json.loads((folder / "params.index.json").read_text("utf-8"))
        self.method = str(params.get("method", "lucene"))
        if self.method not in PLAIN_METHODS:
            raise ValueError(f"BM25 method {self.method!r} needs bm25s to score")
        self.dtype = np.dtype(params.get("dtype", "float32"))
        self.vocab_dict: dict[str, int] = json.loads(
            (folder / "vocab.index.json").read_text("utf-8")
        )
        self.scores: dict[str, Any] = {
            "data": np.load(folder / "data.csc.index.npy"),
            "indices": np.load(folder / "indices.csc.index.npy"),
            "indptr": np.load(folder / "indptr.csc.index.npy"),
            "num_docs": int(params["num_docs"]),
        }

    def get_scores_from_ids(self, query_token_ids: Sequence[int]) -> np.ndarray:
        """Each document's score: the sum of its postings' scores over the query's terms (a
        term named twice counts twice, as in bm25s)."""
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        scores = np.zeros(self.scores["num_docs"], dtype=self.dtype)
        for t in query_token_ids:
            start, end = int(indptr[t]), int(indptr[t + 1])
            scores[indices[start:end]] += data[start:end]  # a document appears once per term
        return scores


def load_bm25(folder: Path | str) -> Any:
    """The saved index at ``folder``: read directly when it can be, else with bm25s."""
    try:
        return BM25Index(folder)
    except ValueError:
        import bm25s

        return bm25s.BM25.load(str(folder), show_progress=False)
