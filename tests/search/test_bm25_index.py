"""The NumPy reader of a saved BM25 index scores exactly as bm25s does."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from search.bm25_index import BM25Index, load_bm25


def _save(tmp_path, method: str):
    corpus = [
        ["real", "live", "wage", "clean", "contract"],
        ["apprenticeship", "construct", "framework", "local", "job"],
        ["carbon", "fleet", "electr", "vehicl", "carbon"],
        ["local", "food", "school", "meal", "local", "supplier"],
        [""],
    ]
    model = bm25s.BM25(k1=1.2, b=0.75, method=method)
    model.index(corpus, show_progress=False)
    model.save(str(tmp_path), show_progress=False)
    return bm25s.BM25.load(str(tmp_path), show_progress=False)


@pytest.mark.parametrize("method", ["lucene", "robertson", "atire"])
def test_scores_match_bm25s(tmp_path, method: str) -> None:
    reference = _save(tmp_path, method)
    mine = BM25Index(tmp_path)
    assert mine.vocab_dict == reference.vocab_dict
    vocab = mine.vocab_dict
    for query in (["local"], ["carbon", "local", "local"], ["wage", "meal", "fleet"], []):
        ids = [vocab[t] for t in query]
        want = np.asarray(reference.get_scores_from_ids(ids), dtype=np.float32)
        got = mine.get_scores_from_ids(ids)
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
        assert (got > 0).sum() == (want > 0).sum()


def test_methods_with_a_non_occurrence_term_use_bm25s(tmp_path) -> None:
    _save(tmp_path, "bm25l")
    with pytest.raises(ValueError):
        BM25Index(tmp_path)
    assert isinstance(load_bm25(tmp_path), bm25s.BM25)
