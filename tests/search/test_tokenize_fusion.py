"""Direct tests of tokenising and fusion, the two pieces every search result passes through."""

from __future__ import annotations

import numpy as np
import pytest

from search.fusion import FusionConfig, minmax, ranks_desc
from search.tokenize import STOPWORDS, phrase_in, stem, tokenize


def test_tokenize_lowercases_drops_stopwords_and_stems():
    assert tokenize("The Apprenticeships and the Councils") == [stem("apprenticeships"), "council"]
    assert not set(tokenize(" ".join(sorted(STOPWORDS))))


def test_hyphenated_words_give_parts_and_joined_form():
    tokens = tokenize("co-operative")
    assert stem("cooperative") in tokens and "co" in tokens


def test_short_codes_survive():
    assert tokenize("NT1") == ["nt1"]
    assert tokenize("Section 106") == ["section", "106"]


def test_plural_and_singular_share_a_stem():
    assert tokenize("councils") == tokenize("council")


def test_phrase_in_needs_consecutive_tokens():
    tokens = tokenize("real living wage for care workers")
    assert phrase_in(tuple(tokenize("living wage")), tokens)
    assert not phrase_in(tuple(tokenize("wage living")), tokens)


def test_minmax_scales_to_unit_range_and_handles_constants():
    np.testing.assert_allclose(minmax(np.array([2.0, 4.0, 6.0])), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(minmax(np.array([3.0, 3.0])), [1.0, 1.0])
    np.testing.assert_array_equal(minmax(np.array([0.0, 0.0])), [0.0, 0.0])
    assert minmax(np.array([])).size == 0


def test_ranks_desc_ties_break_by_index():
    scores = np.array([0.5, 0.9, 0.5, 0.1])
    ranks = ranks_desc(scores, np.array([0, 1, 2, 3]))
    assert ranks.tolist() == [2, 1, 3, 4]


def test_fusion_config_round_trips_and_ignores_unknown_keys():
    cfg = FusionConfig(method="rrf", rrf_k=10, alpha=0.7)
    assert FusionConfig.from_dict({**cfg.to_dict(), "unknown": 1}) == cfg
    assert FusionConfig.from_dict(None) == FusionConfig()
    assert cfg.with_(alpha=0.2).alpha == pytest.approx(0.2)
