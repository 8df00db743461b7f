"""Server-rendered pages over the fixture library (the real-browser tests are in tests/browser)."""

from __future__ import annotations

import csv
import io
from xml.etree import ElementTree as ET


def test_home_lists_themes_with_counts_and_recent(client):
    html = client.get("/").text
    assert "Regeneration &amp; Economic Development" in html
    assert 'href="/themes/employment"' in html
    assert "8 sourced case studies" in html
    assert "fixture-retrofit-warm-homes" in html  # most recently reviewed


def test_search_page_with_filters_and_removal_links(client):
    r = client.get("/search", params=[("q", "apprenticeships"), ("theme", "employment")])
    assert r.status_code == 200
    html = r.text
    assert 'id="result-count"' in html and "Mockshire Combined Authority" in html
    assert "<mark>" in html
    assert 'name="theme" type="checkbox" value="employment" checked' in html
    assert "Theme: Employment" in html and "remove this filter" in html
    assert 'href="/search?q=apprenticeships"' in html  # removing the only filter keeps the query
    assert "/search.csv?q=apprenticeships&amp;theme=employment" in html


def test_no_results_page_suggests_next_steps(client):
    html = client.get("/search", params={"q": "zzzzqqq", "mode": "keyword"}).text
    assert "No case studies match" in html and 'href="/themes/employment"' in html


def test_bad_search_parameters_show_an_error_summary(client):
    from html import unescape

    r = client.get("/search", params={"q": "food", "theme": "bogus"})
    assert r.status_code == 400
    text = unescape(r.text)
    assert "govuk-error-summary" in text and "There is no theme called ‘bogus’" in text
    assert 'href="#filters"' in text and 'value="food"' in text
    # A value out of range still refuses the search, but keeps the text typed.
    r = client.get("/search", params={"q": "food", "page": "999"})
    assert r.status_code == 400 and 'value="food"' in r.text and 'href="#q"' in r.text


def test_a_year_typo_keeps_the_query_the_filters_and_the_results(client):
    from html import unescape

    params = [("q", "apprenticeships"), ("theme", "employment"), ("year_from", "20x5")]
    r = client.get("/search", params=params)
    assert r.status_code == 400
    html = unescape(r.text)
    summary = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    assert 'href="#year_from"' in summary and "From year must be a year in numbers" in summary
    assert 'id="year_from-error"' in html and 'value="20x5"' in html
    assert 'value="apprenticeships"' in html
    assert 'value="employment" checked' in html
    assert "Mockshire Combined Authority" in html  # the results for the rest of the search
    r = client.get("/search", params={"year_from": "2024", "year_to": "2020"})
    assert r.status_code == 400
    assert 'href="#year_to"' in r.text and 'value="2024"' in r.text


def test_pagination_links_keep_filters(client):
    html = client.get("/search", params={"per_page": 3, "theme": "employment"}).text
    assert "page=2" in html and "theme=employment" in html


def test_case_study_page(client):
    html = client.get("/case-studies/fixture-school-catering-food").text
    assert '<h1 class="govuk-heading-xl">Testshire County Council: healthy, local food' in html
    assert "Figures are as reported by the sources listed below" in html
    assert 'href="https://www.example.org/fixture-school-catering-food"' in html
    assert "/edit/main/content/casestudies/fixture-school-catering-food.md" in html
    assert 'href="/search?theme=environment"' in html and 'href="/search?cpv=55"' in html
    assert "Similar case studies" in html
    assert "55 Hotel, restaurant and retail trade services" in html


def test_unknown_case_study_is_a_404_page(client):
    r = client.get("/case-studies/nope")
    assert r.status_code == 404 and "Page not found" in r.text


def test_theme_and_outcome_pages(client):
    html = client.get("/themes/employment").text
    assert "Social Value Model (PPN 06/20) outcomes" in html
    assert "Kickstart economic growth" in html and "Jobs" in html
    assert 'href="/outcomes/apprenticeships"' in html
    html = client.get("/outcomes/real-living-wage").text
    assert "Sampleton Borough Council" in html
    assert client.get("/themes/nope").status_code == 404


def test_the_old_recommend_form_forwards_to_the_plan(client):
    assert "Write the plan" in client.get("/recommend").text
    r = client.post(
        "/recommend",
        data={
            "title": "School meals service",
            "cpv": "55520000",
            "themes": ["environment"],
            "region": "south-west",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/plan?")
    assert "theme=environment" in r.headers["location"]
    r = client.get(r.headers["location"])
    assert r.status_code == 200
    assert "Priority outcomes" in r.text and "Testshire County Council" in r.text
    assert "How we read your procurement" in r.text
    bad = client.post("/recommend", data={"title": "", "cpv": "abc", "value": "lots"})
    assert bad.status_code == 400
    assert "govuk-error-summary" in bad.text and "Enter CPV codes" in bad.text
    assert "Estimated value must be an amount" in bad.text


def test_feed_is_valid_atom_and_escaped(client):
    r = client.get("/feed.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 8


def test_recent_means_added_or_reviewed_whichever_is_later(client):
    # The home-care fixture was reviewed in 2023 but added in March 2026: it is the second
    # newest, after the retrofit one (reviewed June 2026), ahead of the highways one (Feb 2026).
    atom = "{http://www.w3.org/2005/Atom}"
    root = ET.fromstring(client.get("/feed.atom").content)
    entries = root.findall(f"{atom}entry")
    slugs = [e.findtext(f"{atom}id").rsplit("/", 1)[1] for e in entries]
    assert slugs[:3] == [
        "fixture-retrofit-warm-homes",
        "fixture-homecare-ethical-charter",
        "fixture-highways-apprentices",
    ]
    assert entries[1].findtext(f"{atom}updated") == "2026-03-01T00:00:00Z"
    assert entries[1].findtext(f"{atom}published") == "2026-03-01T00:00:00Z"
    assert entries[2].find(f"{atom}published") is None  # no date added in that file
    html = client.get("/case-studies/fixture-homecare-ethical-charter").text
    assert "Added to the library on 1 March 2026." in html
    assert "Last reviewed against its sources on 1 December 2023." in html
    page = client.get("/updates").text
    assert "/feed.atom" in page
    assert "Reviewed 30 June 2026 (added 1 May 2026)" in page and "Added 1 March 2026" in page
    assert 'href="/updates"' in client.get("/").text  # the footer links the readable page
    dated = client.get("/search", params={"sort": "date", "per_page": 3}).text
    assert (
        dated.index("fixture-retrofit-warm-homes")
        < dated.index("fixture-homecare-ethical-charter")
        < dated.index("fixture-highways-apprentices")
    )


def test_csv_download_has_every_result(client):
    r = client.get("/search.csv", params={"theme": "employment"})
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 4
    for column in ("cpv_divisions", "value_gbp", "year_start", "evidence", "first_source_url"):
        assert column in rows[0], column
    assert all(row["first_source_url"].startswith("https://") for row in rows)
    assert any(row["cpv_divisions"] for row in rows)
    named = client.get("/search.csv", params={"q": "Real living wage!"})
    assert 'filename="case-studies-real-living-wage.csv"' in named.headers["content-disposition"]


def test_widget_script_and_embed(client):
    r = client.get("/widget.js")
    assert r.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in r.text and "innerHTML" not in r.text
    html = client.get("/embed/recommend", params={"title": "Refuse collection", "cpv": "90"}).text
    assert "Sampleton Borough Council" in html and '<base target="_blank">' in html
    builder = client.get("/widget", params={"title": 'Repairs "quoted" <b>'}).text
    assert "&lt;b&gt;" in builder and "<b>" not in builder.split("<main")[1]


def test_static_pages(client):
    for path, phrase in [
        ("/about", "How search works"),
        ("/accessibility", "WCAG"),
        ("/themes", "eight themes"),
        ("/docs", "/api/v1/recommend"),
    ]:
        r = client.get(path)
        assert r.status_code == 200 and phrase in r.text, path


def test_error_messages_keep_their_case_and_slugs_redirect_to_canonical(client):
    r = client.get("/case-studies/No-Such-CASE", follow_redirects=False)
    from html import unescape

    assert r.status_code == 404
    assert "There is no case study called 'No-Such-CASE'" in unescape(r.text)
    r = client.get("/case-studies/Fixture-School-Catering-FOOD", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == "/case-studies/fixture-school-catering-food"


def test_embed_links_have_a_well_formed_rel(client):
    html = client.get(
        "/embed/recommend", params={"title": "Refuse collection", "cpv": "90511000"}
    ).text
    assert "&#34;" not in html and 'rel="noopener"' in html
