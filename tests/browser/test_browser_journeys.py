"""Journeys with JavaScript on: search, filters, a case study, a tag, a plan."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


def result_count(page) -> int:
    return int(page.locator("#result-count strong").inner_text())


def test_search_filter_case_study_and_tag(page, app_url, shot, security_headers):
    response = page.goto(app_url + "/")
    security_headers(response)
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))

    # Search from the home page.
    page.get_by_label("Search case studies").fill("real living wage")
    page.get_by_role("main").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/search\?q=real\+living\+wage$"))
    expect(page.locator("#result-count")).to_contain_text("for “real living wage”")
    total = result_count(page)
    assert total >= 1
    first = page.locator(".app-search-result h2 a").first
    expect(first).to_contain_text("Real Living Wage")
    shot(page, "journey-01-search-results")

    # Apply a filter: ticking a box updates the results in place (progressive enhancement).
    page.locator("#f-theme-environment").check()
    page.wait_for_url(re.compile(r"theme=environment"))
    expect(page.locator("#f-theme-environment")).to_be_checked()
    selected = page.locator(".app-selected-filters")
    expect(
        selected.get_by_role("link", name=re.compile(r"Theme: Environmental Impact"))
    ).to_be_visible()
    filtered = result_count(page)
    assert 1 <= filtered <= total
    for themes in page.locator(".app-search-result .app-themes").all():
        expect(themes).to_contain_text("Environmental Impact")
    shot(page, "journey-02-filter-applied")

    # Remove it again.
    selected.get_by_role(
        "link", name=re.compile(r"Theme: Environmental Impact.*remove this filter")
    ).click()
    page.wait_for_url(lambda url: "theme=" not in url)
    expect(page.locator(".app-selected-filters")).to_have_count(0)
    expect(page.locator("#f-theme-environment")).not_to_be_checked()
    assert result_count(page) == total
    shot(page, "journey-03-filter-removed")

    # Open the first case study.
    title = page.locator(".app-search-result h2 a").first.inner_text()
    page.locator(".app-search-result h2 a").first.click()
    page.wait_for_url(re.compile(r"/case-studies/[a-z0-9-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    expect(page.get_by_role("heading", name="Procurement facts")).to_be_visible()
    shot(page, "journey-04-case-study")

    # Follow a theme: the first theme link leads to the search filtered by that theme.
    tag = page.locator(".app-case-themes a").first
    label = tag.inner_text().strip()
    tag.click()
    page.wait_for_url(re.compile(r"/search\?theme=[a-z-]+$"))
    slug = page.url.rsplit("=", 1)[1]
    expect(page.locator(f"#f-theme-{slug}")).to_be_checked()
    expect(page.locator(".app-selected-filters")).to_contain_text(f"Theme: {label}")
    assert result_count(page) >= 1
    expect(page.locator(".app-search-result").filter(has_text=title)).to_have_count(1)
    shot(page, "journey-05-followed-tag")


def test_theme_and_outcome_pages(page, app_url):
    page.goto(app_url + "/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Themes").click()
    page.wait_for_url(app_url + "/themes")
    page.get_by_role("link", name="Employment", exact=True).click()
    page.wait_for_url(app_url + "/themes/employment")
    expect(page.get_by_role("heading", level=1)).to_have_text("Employment")
    page.get_by_role("link", name="Real Living Wage").first.click()
    page.wait_for_url(re.compile(r"/outcomes/"))
    expect(page.locator(".app-search-result").first).to_be_visible()


def test_a_plan_for_a_procurement(page, app_url, shot):
    page.goto(app_url + "/recommend")  # the old address forwards to the plan's form
    page.wait_for_url(re.compile(r"/plan$"))
    page.get_by_label("Procurement title").fill("Household waste and recycling collection")
    page.get_by_label("Description").fill(
        "Weekly refuse and recycling rounds; we want fair pay for collection crews."
    )
    page.get_by_label("CPV codes").fill("90511000")
    page.get_by_label("Estimated value").fill("£3m")
    page.get_by_label("Where the contract is delivered").select_option("north-west")
    page.get_by_label("Employment").check()
    with page.expect_response(lambda r: r.url.startswith(app_url + "/plan?")) as info:
        page.get_by_role("button", name="Write the plan").click()
    assert info.value.status == 200
    expect(page.get_by_role("heading", name="How we read your procurement")).to_be_visible()
    expect(page.get_by_role("heading", name="Close match")).to_be_visible()
    outcomes = page.locator(".app-plan-outcome")
    assert outcomes.count() == 4  # £3m is the "£2m to £10m" band of the fixture map
    expect(outcomes.first).to_contain_text("Award question:")
    cases = page.locator(".app-plan-case")
    expect(cases.first).to_contain_text("waste collection")
    expect(cases.first).to_contain_text("About the same kind of contract")
    # The form keeps what was entered, so the officer can refine it.
    expect(page.get_by_label("Procurement title")).to_have_value(
        "Household waste and recycling collection"
    )
    expect(page.get_by_label("Employment")).to_be_checked()
    shot(page, "journey-06-plan")

    # Follow an outcome.
    outcomes.first.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/outcomes/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_plan_errors_focus_the_summary(page, app_url, shot, axe):
    page.goto(app_url + "/plan")
    page.get_by_label("CPV codes").fill("not-a-code")
    page.get_by_label("Procurement title").fill("Refuse collection")
    with page.expect_response(lambda r: r.url.startswith(app_url + "/plan?")) as info:
        page.get_by_role("button", name="Write the plan").click()
    assert info.value.status == 400
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page.locator("#cpv")).to_have_class(re.compile(r"\bgovuk-input--error\b"))
    expect(page.locator("#cpv")).to_have_attribute("aria-describedby", "cpv-hint cpv-error")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_label("Procurement title")).to_have_value("Refuse collection")
    summary.get_by_role("link", name=re.compile("Enter CPV codes")).click()
    expect(page.locator("#cpv")).to_be_focused()
    shot(page, "journey-07-plan-errors")
    axe(page, "plan with errors (after JS)")
