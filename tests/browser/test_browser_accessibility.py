"""axe-core (WCAG 2.2 A/AA) on every page type, with security headers and a screenshot of each."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

CASE_STUDY = "fixture-waste-collection-living-wage"


@dataclass
class PageType:
    name: str
    path: str
    status: int = 200
    embeddable: bool = False
    then: Callable | None = None  # actions after loading, e.g. submitting a form


def submit_plan(values: dict[str, str], status: int):
    def act(page, app_url):
        for label, value in values.items():
            page.get_by_label(label, exact=True).fill(value)
        with page.expect_response(lambda r: r.url.startswith(app_url + "/plan?")) as info:
            page.get_by_role("button", name="Write the plan").click()
        assert info.value.status == status
        page.wait_for_load_state()
        return info.value

    return act


def widget_rendered(page, app_url):
    expect(page.locator(".svkb-widget li a").first).to_be_visible()


OVERFLOW_JS = """() => {
    const doc = document.documentElement;
    if (doc.scrollWidth <= doc.clientWidth) return null;
    const wide = [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > doc.clientWidth + 1)
        .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                   + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
    return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, elements: wide.slice(0, 8)};
}"""


PAGES = [
    PageType("home", "/"),
    PageType("search-results", "/search?q=apprenticeships"),
    PageType("search-no-results", "/search?theme=local-communities&cpv=90"),
    PageType("search-bad-params", "/search?year_from=1", status=400),
    PageType("case-study", f"/case-studies/{CASE_STUDY}"),
    PageType("themes", "/themes"),
    PageType("theme", "/themes/employment"),
    PageType("outcome", "/outcomes/real-living-wage"),
    PageType("plan-empty", "/plan"),
    PageType(
        "plan-errors",
        "/plan",
        then=submit_plan({"CPV codes": "abc", "Estimated value": "lots"}, 400),
    ),
    PageType(
        "plan-results",
        "/plan",
        then=submit_plan(
            {"Procurement title": "School meals and catering", "CPV codes": "55524000"}, 200
        ),
    ),
    PageType("updates", "/updates"),
    PageType("about", "/about"),
    PageType("accessibility", "/accessibility"),
    PageType("widget-builder", "/widget", then=widget_rendered),
    PageType("embed", "/embed/recommend?title=Housing+repairs&cpv=50&limit=3", embeddable=True),
    PageType("embed-empty", "/embed/recommend", embeddable=True),
    PageType("docs", "/docs"),
    PageType("not-found", "/no-such-page", status=404),
    PageType("case-study-not-found", "/case-studies/no-such-case-study", status=404),
]


@pytest.mark.parametrize("pt", PAGES, ids=[p.name for p in PAGES])
def test_page_type_is_accessible(page, app_url, axe, shot, security_headers, pt: PageType):
    response = page.goto(app_url + pt.path)
    assert response.status == pt.status, f"{pt.path}: {response.status}"
    security_headers(response, embeddable=pt.embeddable)
    if pt.then:
        after = pt.then(page, app_url)
        if after is not None:
            security_headers(after)
    expect(page.locator("h1")).to_have_count(1)
    expect(page).to_have_title(re.compile(r"Social Value Knowledge Base$"))
    shot(page, f"page-{pt.name}")
    axe(page, pt.name)
    # WCAG 1.4.10 reflow: no horizontal scrolling at 1100 px or at 320 CSS px wide.
    for width in (1100, 320):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate(OVERFLOW_JS)
        assert not overflow, f"{pt.name} scrolls sideways at {width}px: {overflow}"


def test_suggest_page_is_accessible(page, app_url, axe, shot, security_headers):
    response = page.goto(app_url + "/suggest")
    if response.status == 404:
        pytest.skip("/suggest does not exist yet")
    assert response.status == 200
    security_headers(response)
    expect(page.locator("h1")).to_have_count(1)
    shot(page, "page-suggest")
    axe(page, "suggest")
