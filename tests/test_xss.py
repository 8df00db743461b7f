"""Hostile content and queries: nothing unescaped reaches HTML, JSON-rendered HTML, the widget or the feed.

The library holds a case study whose every text field carries markup (it passes the validator,
which allows markup-like text outside the body), plus a record written straight into the database
with raw HTML and a javascript: source, as if the validator had been bypassed. The browser test in
tests/browser/test_xss.py loads the same pages and checks that nothing executes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from web.app import create_app

HOSTILE_QUERIES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' onmouseover='alert(1)",
    "</title><script>x</script>",
]
# Our own script tags are the only ones allowed in any page.
OWN_SCRIPTS = re.compile(
    r'<script type="module" src="/static/(?:app|plan)\.js"></script>|'
    r'<script src="/static/embed\.js" async></script>|'
    r'<script src="/widget\.js"[^>]*></script>'
)


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_no_live_markup(html: str) -> None:
    """No script but ours, no event-handler attribute, no javascript:/data: URL, no injected tags."""
    parser = _Elements()
    parser.feed(OWN_SCRIPTS.sub("", html))
    for tag, attrs in parser.found:
        assert tag not in ("script", "img", "svg", "iframe", "object", "embed", "b"), (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction") and value:
                lowered = value.strip().lower()
                assert not lowered.startswith(("javascript:", "data:", "vbscript:")), value


@pytest.fixture(scope="module")
def xss_client(xss_settings):
    with TestClient(create_app(xss_settings)) as c:
        yield c


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search",
        "/search?q=script",
        "/case-studies/xss-hostile-text",
        "/case-studies/xss-bypassed",
        "/themes/employment",
        "/outcomes/local-recruitment",
        "/recommend?title=hostile+council",
        "/embed/recommend?title=hostile",
        "/plan?title=hostile+council&description=%3Cscript%3Ealert(1)%3C/script%3E",
        "/widget?title=%3Cscript%3Ealert(1)%3C/script%3E",
    ],
)
def test_pages_escape_hostile_content(xss_client, path):
    r = xss_client.get(path)
    assert r.status_code == 200, r.text[:300]
    assert_no_live_markup(r.text)


def test_hostile_text_is_shown_as_text(xss_client):
    html = xss_client.get("/case-studies/xss-hostile-text").text
    assert "&lt;script&gt;window.__xss=&#39;title&#39;&lt;/script&gt;" in html
    assert (
        'href="https://www.example.org/report?q=&lt;script&gt;&amp;x=&#34;onmouseover=alert(1)"'
        in html
    )
    bypassed = xss_client.get("/case-studies/xss-bypassed").text
    assert 'href="#"' in bypassed  # the javascript: source is not linked


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries(xss_client, query):
    page = xss_client.get("/search", params={"q": query})
    assert page.status_code == 200
    assert_no_live_markup(page.text)
    api = xss_client.get("/api/v1/search", params={"q": query}).json()
    for result in api["results"]:
        assert_no_live_markup(result["snippet_html"])
    rec = xss_client.post("/recommend", data={"title": query, "description": query})
    assert_no_live_markup(rec.text)
    embed = xss_client.get("/embed/recommend", params={"title": query})
    assert_no_live_markup(embed.text)
    plan = xss_client.get("/plan", params={"title": query[:300], "description": query})
    assert_no_live_markup(plan.text)


def test_the_plan_as_markdown_carries_no_raw_html(xss_client):
    md = xss_client.get("/plan.md", params={"title": "<script>alert(1)</script> council"}).text
    assert "\\<script\\>" in md
    assert re.search(r"(?<!\\)<", md) is None  # every < is escaped, so no viewer renders a tag


def test_api_html_fields_are_safe(xss_client):
    detail = xss_client.get("/api/v1/case-studies/xss-bypassed").json()
    assert_no_live_markup(detail["html"])
    rec = xss_client.post("/api/v1/recommend", json={"title": "hostile council script"}).json()
    for r in rec["recommendations"]:
        assert_no_live_markup(r["snippet_html"])


def test_feed_carries_hostile_titles_as_text(xss_client):
    r = xss_client.get("/feed.atom")
    root = ET.fromstring(r.content)  # well-formed XML despite the markup in titles
    titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(t and "<script>" in t for t in titles)  # as text, escaped in the XML
    assert b"<script>" not in r.content


def test_control_characters_in_the_query_are_not_reflected(xss_client):
    r = xss_client.get("/search", params={"q": "food\x00\x1b[31m\u202eevil"})
    assert r.status_code == 200
    assert "\x00" not in r.text and "\x1b" not in r.text and "\u202e" not in r.text
    csv = xss_client.get("/search.csv", params={"q": "food\x00"})
    assert "\x00" not in csv.text
