"""The relevance cut on the page and in the API, over the fixture library."""

from __future__ import annotations


def test_api_says_how_many_match_closely(client):
    data = client.get(
        "/api/v1/search", params={"q": "Real Living Wage in waste collection", "per_page": 50}
    ).json()
    assert 0 < data["close_total"] < data["total"] == len(data["results"])
    flags = [r["close"] for r in data["results"]]
    assert flags == [True] * data["close_total"] + [False] * (data["total"] - data["close_total"])
    assert data["results"][0]["slug"] == "fixture-waste-collection-living-wage"
    listing = client.get("/api/v1/search").json()
    assert listing["close_total"] == listing["total"]


def test_page_shows_close_matches_before_partial_ones(client):
    html = client.get("/search", params={"q": "Real Living Wage in waste collection"}).text
    data = client.get("/api/v1/search", params={"q": "Real Living Wage in waste collection"}).json()
    n, more = data["close_total"], data["total"] - data["close_total"]
    total = data["total"]
    assert (
        f"<strong>{total}</strong> case studies for “Real Living Wage in waste collection”" in html
    )
    assert f": {n} closely match" in html and f"and {more} partly match" in html
    divider = html.index(f"{more} more that partly match")
    assert html.index("Real Living Wage in waste collection</a>") < divider


def test_page_says_no_close_matches(client):
    html = client.get("/search", params={"q": "funeral services"}).text
    data = client.get("/api/v1/search", params={"q": "funeral services"}).json()
    assert data["close_total"] == 0 and data["total"] > 0
    assert "for “funeral services”: no close matches, only partial ones" in html
