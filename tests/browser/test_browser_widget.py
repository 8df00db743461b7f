"""The widget and the iframe embedded in a tender page served from a different origin."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

GOVUK_BLUE = "rgb(29, 112, 184)"


def computed(locator, prop: str) -> str:
    return locator.evaluate("(el, p) => getComputedStyle(el).getPropertyValue(p)", prop)


def test_widget_and_iframe_on_another_origin(page, app_url, tender_url, shot):
    assert app_url != tender_url
    with (
        page.expect_response(f"{app_url}/widget.js") as script,
        page.expect_response(f"{app_url}/api/v1/plan") as api,
    ):
        page.goto(tender_url + "/tender.html")
    js = script.value.all_headers()
    assert js["content-type"].startswith("text/javascript")
    assert js["x-content-type-options"] == "nosniff"
    assert js["cross-origin-resource-policy"] == "cross-origin"
    response = api.value
    assert response.status == 200
    assert response.request.all_headers().get("origin") == tender_url  # a real cross-origin call
    assert response.headers.get("access-control-allow-origin") in ("*", tender_url)

    widget = page.locator(".svkb-widget")
    expect(widget).to_have_count(1)
    assert widget.evaluate("el => el.shadowRoot !== null"), "the widget must render in a Shadow DOM"
    heading = widget.get_by_role("heading", name="Social value: outcomes to prioritise")
    expect(heading).to_be_visible()
    links = widget.locator("li > a")
    expect(links.first).to_be_visible()
    assert 1 <= links.count() <= 3  # data-limit="3"
    for href in links.evaluate_all("els => els.map(a => a.href)"):
        assert href.startswith(app_url + "/plan?") and "#outcome-" in href, href
    # The title came from the page's h1 (data-title-selector), the category from data-cpv.
    more = widget.get_by_role("link", name="Read the full social value plan")
    more_href = more.get_attribute("href")
    assert more_href.startswith(app_url + "/plan?")
    assert "title=Waste+collection+and+recycling+services" in more_href
    assert "cpv=90" in more_href
    expect(links.first).to_have_attribute("target", "_blank")
    expect(links.first).to_have_attribute("rel", "noopener")

    # The portal's styles do not leak into the widget, and the widget's do not leak out.
    assert computed(page.locator("#portal-link"), "color") == "rgb(255, 0, 0)"  # control
    assert computed(links.first, "color") == GOVUK_BLUE
    assert computed(more, "color") == GOVUK_BLUE
    assert computed(page.locator("#portal-heading"), "font-size") == "48px"  # control
    assert computed(heading, "font-size") == "19px"
    assert computed(widget.locator(".box"), "border-top-width") == "0px"
    assert computed(widget.locator("li").first, "font-weight") == "400"

    # The iframe version (frame-ancestors allows it; no X-Frame-Options on /embed/).
    frame = page.frame_locator("#embed")
    expect(frame.get_by_role("heading", name="Case studies for this procurement")).to_be_visible()
    first = frame.locator("ol > li.app-search-result h3 a").first
    expect(first).to_be_visible()
    assert first.evaluate("a => a.href").startswith(app_url + "/case-studies/")
    assert first.evaluate("a => a.target || document.querySelector('base').target") == "_blank"
    expect(frame.get_by_role("link", name="Read the full social value plan")).to_be_visible()
    # The frame fits its content (embed-resize.js on the tender page): no scrollbar inside it.
    iframe = page.locator("#embed")
    page.wait_for_function(
        "() => parseInt(document.getElementById('embed').style.height || '0', 10) > 200"
    )
    inner = frame.locator("html").evaluate("el => el.scrollHeight")
    outer = iframe.evaluate("el => el.clientHeight")
    assert abs(inner - outer) <= 2, (inner, outer)
    shot(page, "widget-01-tender-page")


@pytest.mark.parametrize("failure", ["unreachable", "server-error"])
def test_widget_fails_quietly_with_a_link(page, app_url, tender_url, allow_failed, shot, failure):
    def broken(route):
        if failure == "unreachable":
            route.abort("connectionrefused")
        else:
            route.fulfill(status=503, content_type="application/json", body='{"error": {}}')

    allow_failed(r"/api/v1/plan$")
    page.route(f"{app_url}/api/v1/plan", broken)
    page.goto(tender_url + "/tender.html")
    widget = page.locator(".svkb-widget")
    fallback = widget.get_by_role("link", name="Write a social value plan for this procurement")
    expect(fallback).to_be_visible()
    href = fallback.get_attribute("href")
    assert href.startswith(app_url + "/plan?") and "cpv=90" in href
    expect(widget).not_to_contain_text("Loading")
    expect(widget.locator("li")).to_have_count(0)
    assert computed(fallback, "color") == GOVUK_BLUE
    # The iframe on the same page still works: it does not depend on the JSON API.
    expect(
        page.frame_locator("#embed").get_by_role(
            "heading", name="Case studies for this procurement"
        )
    ).to_be_visible()
    shot(page, f"widget-02-fallback-{failure}")
