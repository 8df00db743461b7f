"""The no-JavaScript path: every journey works with plain links and form submissions."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


def test_search_with_filter_without_javascript(nojs_page, app_url, shot):
    page = nojs_page
    page.goto(app_url + "/search?q=waste")
    expect(page.locator("body")).not_to_have_class(re.compile(r"js-enabled"))
    total = int(page.locator("#result-count strong").inner_text())
    page.locator("#f-theme-environment").check()
    assert page.url.endswith("/search?q=waste")  # no script: ticking does not submit
    page.get_by_role("button", name="Apply filters").first.click()
    page.wait_for_url(re.compile(r"q=waste&theme=environment"))
    expect(page.locator("#f-theme-environment")).to_be_checked()
    expect(page.locator(".app-selected-filters")).to_contain_text("Theme: Environmental Impact")
    filtered = int(page.locator("#result-count strong").inner_text())
    assert 1 <= filtered <= total
    shot(page, "nojs-01-search-filtered")

    page.locator(".app-selected-filters").get_by_role(
        "link", name=re.compile("remove this filter")
    ).click()
    page.wait_for_url(lambda url: "theme=" not in url)
    assert int(page.locator("#result-count strong").inner_text()) == total

    title = page.locator(".app-search-result h2 a").first.inner_text()
    page.locator(".app-search-result h2 a").first.click()
    page.wait_for_url(re.compile(r"/case-studies/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    shot(page, "nojs-02-case-study")


def test_plan_form_without_javascript(nojs_page, app_url, shot):
    page = nojs_page
    page.goto(app_url + "/plan")
    page.get_by_label("Procurement title").fill("Highways maintenance with apprenticeships")
    page.get_by_label("CPV codes").fill("45")
    page.get_by_label("Employment").check()
    with page.expect_response(lambda r: r.url.startswith(app_url + "/plan?")) as info:
        page.get_by_role("button", name="Write the plan").click()
    assert info.value.status == 200
    expect(page.get_by_role("heading", name="Priority outcomes")).to_be_visible()
    assert page.locator(".app-plan-case").count() >= 1
    expect(page.get_by_role("button", name=re.compile("Copy"))).to_have_count(0)
    shot(page, "nojs-03-plan")

    # Errors are shown by the server too.
    page.get_by_label("Procurement title").fill("")
    page.get_by_label("CPV codes").fill("")
    page.get_by_label("Employment").uncheck()
    page.get_by_role("button", name="Update the plan").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Describe the procurement")
    expect(page.locator("#description-error")).to_be_visible()


def test_widget_builder_and_embed_without_javascript(nojs_page, app_url, shot):
    page = nojs_page
    page.goto(app_url + "/widget")
    message = page.locator("#widget-preview noscript p")
    expect(message).to_be_visible()
    expect(message).to_contain_text("The preview needs JavaScript")
    page.goto(app_url + "/embed/recommend?title=Waste+collection&cpv=90")
    expect(page.get_by_role("heading", name="Case studies for this procurement")).to_be_visible()
    shot(page, "nojs-04-embed")
