"""The search filters (issue 14): in-place updates that keep focus and scroll, a mistyped year
that loses nothing, and the collapsed panel on a phone; with and without JavaScript."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

PHONE = {"width": 375, "height": 740}


def result_count(page) -> int:
    return int(page.locator("#result-count strong").inner_text())


def test_a_filter_updates_results_in_place_keeping_focus_and_scroll(page, app_url, shot, axe):
    page.set_viewport_size({"width": 1100, "height": 500})
    page.goto(app_url + "/search?q=apprenticeships")
    total = result_count(page)
    page.evaluate("window.__samePage = true")  # survives only if the page is not reloaded

    # Keyboard only: move to a filter and press Space.
    box = page.locator("#f-theme-employment")
    box.focus()
    page.mouse.wheel(0, 120)
    page.wait_for_function("window.scrollY > 0")
    scrolled = page.evaluate("window.scrollY")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"/search\?q=apprenticeships&theme=employment$"))
    expect(page.locator(".app-selected-filters")).to_contain_text("Theme: Employment")
    expect(page.locator("#f-theme-employment")).to_be_checked()
    expect(page.locator("#f-theme-employment")).to_be_focused()
    assert page.evaluate("window.__samePage") is True, "the page was reloaded"
    assert abs(page.evaluate("window.scrollY") - scrolled) <= 2, "the scroll position jumped"
    filtered = result_count(page)
    assert 1 <= filtered <= total
    expect(page.locator("#search-announce")).to_have_text(
        re.compile(rf"^{filtered} case stud(y|ies) for “apprenticeships”$")
    )
    # The next Tab goes on from the same checkbox, not from the top of the page.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") in ("theme", "outcome")
    shot(page, "filters-01-updated-in-place")
    axe(page, "search after an in-place filter update")

    # Back restores the earlier results, still without a reload.
    page.go_back()
    page.wait_for_url(re.compile(r"/search\?q=apprenticeships$"))
    expect(page.locator("#f-theme-employment")).not_to_be_checked()
    expect(page.locator(".app-selected-filters")).to_have_count(0)
    assert result_count(page) == total
    assert page.evaluate("window.__samePage") is True

    # Removing a selected filter (by its link) moves focus to the new result count.
    page.go_forward()
    page.wait_for_url(re.compile(r"theme=employment"))
    page.locator(".app-selected-filters").get_by_role(
        "link", name=re.compile("remove this filter")
    ).click()
    page.wait_for_url(re.compile(r"/search\?q=apprenticeships$"))
    expect(page.locator("#result-count")).to_be_focused()
    assert page.evaluate("window.__samePage") is True


def test_apply_and_skip_to_results_are_at_the_top_of_the_panel(page, app_url):
    page.goto(app_url + "/search?q=apprenticeships")
    panel = page.locator("#filter-body")
    apply_top = panel.get_by_role("button", name="Apply filters").first
    first_group = panel.locator("details").first
    assert apply_top.bounding_box()["y"] < first_group.bounding_box()["y"]
    # Keyboard: from the search box, Tab reaches "Skip to results" before any filter.
    page.locator("#q").focus()
    page.keyboard.press("Tab")  # the Search button
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to results")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    inside = page.evaluate("document.getElementById('results').contains(document.activeElement)")
    assert inside, "Skip to results did not move the keyboard to the results"


def test_a_year_typo_keeps_the_query_filters_and_results(page, app_url, shot, axe, allow_failed):
    allow_failed(r"^400 GET .*/search\?.*year_from=20x5")  # the page fetched in place is a 400
    page.goto(app_url + "/search?q=apprenticeships&theme=employment")
    before = result_count(page)
    page.locator("details[data-group=years] summary").click()
    page.locator("#year_from").fill("20x5")
    page.locator("#year_from").press("Enter")
    page.wait_for_url(re.compile(r"year_from=20x5"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("From year must be a year in numbers, like 2021")
    expect(page).to_have_title(re.compile(r"^Error: "))
    # Everything else is kept, and the results for the rest of the search are shown.
    expect(page.locator("#q")).to_have_value("apprenticeships")
    expect(page.locator("#f-theme-employment")).to_be_checked()
    assert result_count(page) == before
    expect(page.locator("#year_from")).to_have_value("20x5")
    expect(page.locator("#year_from-error")).to_be_visible()
    summary.get_by_role("link", name=re.compile("From year")).click()
    expect(page.locator("#year_from")).to_be_focused()
    shot(page, "filters-02-year-typo")
    axe(page, "search with a mistyped year")

    page.locator("#year_from").fill("2015")
    page.locator("#year_from").press("Enter")
    page.wait_for_url(re.compile(r"year_from=2015"))
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator(".app-selected-filters")).to_contain_text("Years: 2015 to …")


def test_on_a_phone_the_filters_start_collapsed_and_results_come_first(page, app_url, shot, axe):
    page.set_viewport_size(PHONE)
    page.goto(app_url + "/search?q=apprenticeships")
    toggle = page.get_by_role("button", name=re.compile(r"^Show filters"))
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#filter-body")).to_be_hidden()
    first = page.locator(".app-search-result").first
    assert first.bounding_box()["y"] < 2 * PHONE["height"], "results far below the filters"
    shot(page, "filters-03-phone-collapsed")
    axe(page, "search on a phone")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#filter-body")).to_be_visible()
    page.locator("#f-theme-employment").check()
    page.wait_for_url(re.compile(r"theme=employment"))
    expect(page.locator("#filter-body")).to_be_visible()  # stays open while choosing
    expect(page.get_by_role("button", name="Show filters (1 selected)")).to_be_visible()
    shot(page, "filters-04-phone-open")


def test_without_javascript_a_year_typo_keeps_everything(nojs_page, app_url, shot):
    # (axe needs script, so it runs on the same server-rendered page in the test above.)
    page = nojs_page
    page.set_viewport_size(PHONE)
    page.goto(app_url + "/search?q=apprenticeships&theme=employment")
    expect(page.locator(".app-filter-toggle")).to_be_hidden()  # no script: the panel is open
    expect(page.locator("#filter-body")).to_be_visible()
    page.locator("details[data-group=years] summary").click()
    page.locator("#year_to").fill("20x5")
    page.get_by_role("button", name="Apply filters").first.click()
    page.wait_for_url(re.compile(r"year_to=20x5"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("To year must be a year")
    expect(page.locator(".govuk-error-summary a")).to_have_attribute("href", "#year_to")
    expect(page.locator("#q")).to_have_value("apprenticeships")
    expect(page.locator("#f-theme-employment")).to_be_checked()
    expect(page.locator("#year_to")).to_have_value("20x5")
    assert result_count(page) >= 1
    shot(page, "filters-05-nojs-year-typo")
