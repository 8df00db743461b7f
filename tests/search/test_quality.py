"""Search quality behaviour on the fixture library: the relevance cut, plurals and synonyms."""

from __future__ import annotations

import pytest

from search.engine import SearchQuery

pytestmark = pytest.mark.slow


def test_cut_narrows_to_what_the_query_is_about(engine):
    """Every matching document counts in ``total``; ``close_total`` counts the close ones, which
    rank first."""
    for mode in ("hybrid", "keyword", "semantic"):
        res = engine.search(
            SearchQuery("Real Living Wage for school catering staff", mode=mode, per_page=20)
        )
        assert res.total > res.close_total == 1, mode
        assert res.hits[0].id == "fx-living-wage-catering" and res.hits[0].close
        assert not any(h.close for h in res.hits[1:])
        assert res.to_json()["close_total"] == 1 and res.to_json()["hits"][0]["close"] is True


def test_close_hits_rank_before_the_rest(engine):
    res = engine.search(SearchQuery("heat pumps in social housing", per_page=20))
    flags = [h.close for h in res.hits]
    assert flags == sorted(flags, reverse=True) and flags[0]


def test_a_query_with_nothing_relevant_says_so(engine):
    """Nothing in the library is about funerals: some documents mention services, none is close."""
    res = engine.search(SearchQuery("funeral services", per_page=20))
    assert res.total > 0
    assert res.close_total == 0 and not any(h.close for h in res.hits)


def test_listing_without_text_is_all_close(engine):
    res = engine.search(SearchQuery("", per_page=3))
    assert res.close_total == res.total == len(engine)
