"""The law and policy page, and the structured contract evidence on case-study pages and the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.content.pages import PageError, load_page

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "content" / "pages" / "policy.md"
INSTRUMENTS = [
    "public-services-social-value-act-2012",
    "procurement-act-2023",
    "national-procurement-policy-statement-2025",
    "ppn-002-the-social-value-model",
    "scotland-procurement-reform-scotland-act-2014",
    "wales-social-partnership-and-public-procurement-wales-act-2023",
    "northern-ireland-ppn-01-21",
]


def test_shipped_policy_page_covers_each_instrument_with_sources():
    page = load_page(POLICY)
    assert [a for a, _ in page.sections] == INSTRUMENTS
    assert all(s.url.startswith("https://") for s in page.sources)
    html = page.html
    for anchor in INSTRUMENTS:
        assert f'id="{anchor}"' in html
    # every section links to at least one official or cited source
    for chunk in page.body.split("\n## ")[1:]:
        assert "https://" in chunk


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: T\n---\n\n## A\nx\n", "'summary'"),
        ("---\ntitle: T\nsummary: S\nlast_reviewed: soon\n---\n", "last_reviewed"),
        (
            "---\ntitle: T\nsummary: S\nlast_reviewed: 2026-01-01\nsources:\n"
            "  - {title: X, url: http://example.org}\n---\n",
            "https",
        ),
    ],
)
def test_a_broken_page_names_the_problem(tmp_path, text, message):
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PageError, match=message):
        load_page(path)


def test_a_symlinked_page_is_refused(tmp_path):
    link = tmp_path / "policy.md"
    link.symlink_to(POLICY)
    with pytest.raises(PageError, match="symbolic link"):
        load_page(link)


def test_policy_page_is_served_with_contents_and_navigation(client):
    r = client.get("/policy")
    assert r.status_code == 200
    assert 'href="#procurement-act-2023"' in r.text and 'id="procurement-act-2023"' in r.text
    assert 'href="/policy"' in r.text  # in the service navigation


def test_case_study_page_shows_contract_evidence_and_the_rules(client):
    html = client.get("/case-studies/fixture-waste-collection-living-wage").text
    assert "What the contract asked for" in html
    assert "Social value weighting: <strong>10%</strong>" in html
    assert "Pay every operative on the contract at least the Real Living Wage" in html
    assert "Delivered" in html and 'href="/outcomes/real-living-wage"' in html
    assert 'href="/policy#public-services-social-value-act-2012"' in html
    other = client.get("/case-studies/fixture-school-catering-food").text
    assert "What the contract asked for" not in other


def test_api_returns_contract_evidence(client):
    data = client.get("/api/v1/case-studies/fixture-waste-collection-living-wage").json()
    ev = data["contract_evidence"]
    assert ev["weighting"]["social_value_percent"] == 10
    assert ev["asks"][0]["status"] == "delivered" and ev["asks"][0]["outcome"] == "real-living-wage"
    assert (
        client.get("/api/v1/case-studies/fixture-school-catering-food").json()["contract_evidence"]
        is None
    )
