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


def test_acronym_plurals_stem_like_their_singulars():
    from search.tokenize import tokenize

    assert tokenize("SMEs") == tokenize("SME") == ["sme"]
    assert tokenize("VCSEs") == tokenize("VCSE") and tokenize("KPIs") == tokenize("KPI")
    assert tokenize("councils") == ["council"] and tokenize("class") == ["class"]


def test_acronyms_expand_to_their_spelled_out_form(vocabulary):
    from search.taxonomy import VocabularyMatcher, spells
    from search.tokenize import tokenize

    assert spells("sme", ("small", "medium", "enterprises"))
    assert spells("latco", ("local", "authority", "trading", "company"))
    assert not spells("sme", ("small", "business"))
    m = VocabularyMatcher(vocabulary)
    assert m.expansions(tokenize("SME lotting"), "acronyms") == [
        tuple(tokenize("small medium enterprises"))
    ]
    assert m.expansions(tokenize("small and medium enterprises"), "acronyms") == [("sme",)]
    assert m.expansions(tokenize("SME"), "none") == []


def test_sme_finds_what_smes_finds(engine):
    """The fixture about small firms says "SMEs" and "small and medium"; "SME" finds it too."""
    for mode in ("keyword", "hybrid"):
        one = engine.search(SearchQuery("SME", mode=mode, per_page=20))
        many = engine.search(SearchQuery("SMEs", mode=mode, per_page=20))
        assert [h.id for h in one.hits] == [h.id for h in many.hits], mode
        assert one.hits[0].id == "fx-sme-lotting" and one.hits[0].close
