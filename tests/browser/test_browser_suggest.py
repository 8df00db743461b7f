"""The contributor's journey on /suggest (issue 14): answers kept on every redisplay, a draft
kept in the browser, a pasted template read from its front matter; desktop, phone and no-JS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 375, "height": 740}


def fill_some(page) -> None:
    page.get_by_label("Title", exact=True).fill("Short")
    page.get_by_label("Organisation", exact=True).fill("Sample Council")
    page.get_by_label("Type of organisation").select_option("local-authority")
    page.locator("#region").check()  # the first region
    page.get_by_label("First year").fill("2021")


def test_answers_survive_errors_and_a_reload_as_a_draft(page, app_url, shot, axe):
    page.goto(app_url + "/suggest")
    page.evaluate("localStorage.clear()")
    page.reload()
    fill_some(page)
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    # The type of organisation is kept on the redisplayed form, so it is not asked again.
    expect(page.get_by_label("Type of organisation")).to_have_value("local-authority")
    expect(summary).not_to_contain_text("type of organisation")
    expect(summary).to_contain_text("Title must be between 10 and 160 characters")
    shot(page, "suggest-01-errors")
    axe(page, "suggest with errors")

    # A fresh visit puts the draft back from this browser, with a way to clear it.
    page.goto(app_url + "/suggest")
    notice = page.locator(".app-draft-notice")
    expect(notice).to_contain_text("have been put back")
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("Sample Council")
    expect(page.get_by_label("Type of organisation")).to_have_value("local-authority")
    expect(page.locator("#region")).to_be_checked()
    axe(page, "suggest with a restored draft")
    notice.get_by_role("button", name=re.compile("Clear the form")).click()
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("")
    expect(page.locator("#region")).not_to_be_checked()
    page.goto(app_url + "/suggest")
    expect(page.locator(".app-draft-notice")).to_have_count(0)


def test_one_part_per_page_on_a_phone(page, app_url, shot, axe):
    page.set_viewport_size(PHONE)
    page.goto(app_url + "/suggest")
    page.evaluate("localStorage.clear()")
    page.reload()
    expect(page.get_by_text("Part 1 of 5")).to_be_visible()
    expect(page.locator("[name=themes]")).to_have_count(0)  # asked in part 2
    page.get_by_label("Title", exact=True).fill("Sample Council: apprentices in grounds care")
    page.get_by_label("Organisation", exact=True).fill("Sample Council")
    page.get_by_label("Type of organisation").select_option("local-authority")
    page.locator("#region").check()
    page.get_by_label("First year").fill("2021")
    page.get_by_label("Summary").fill(
        "The council asked its grounds contractor for local apprentices and reported six."
    )
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Part 2 of 5")).to_be_visible()
    expect(page).to_have_title(re.compile(r"part 2 of 5: tags"))
    shot(page, "suggest-02-phone-part-2")
    axe(page, "suggest part 2 on a phone")
    page.get_by_role("button", name="Back to part 1").click()
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("Sample Council")
    expect(page.get_by_label("Type of organisation")).to_have_value("local-authority")


def test_the_one_page_form_is_grouped_and_collapsed_on_a_phone(page, app_url, shot, axe):
    page.set_viewport_size(PHONE)
    page.goto(app_url + "/suggest?all=1")
    page.evaluate("localStorage.clear()")
    page.reload()
    # Outcomes sit in one closed group per theme; sources 2 to 5 are behind "Add more sources".
    groups = page.locator("details.app-outcome-group")
    assert groups.count() >= 6
    assert page.locator("details.app-outcome-group[open]").count() == 0
    expect(page.locator("#source-2-title")).to_be_hidden()
    expect(page.locator("#source-1-type")).not_to_be_checked()  # no publisher pre-selected
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 11_000, f"the form is {height} px tall on a phone"
    shot(page, "suggest-02-phone")
    axe(page, "suggest on a phone")


def test_pasting_the_template_fills_the_form(page, app_url, shot, axe):
    page.goto(app_url + "/suggest")
    page.evaluate("localStorage.clear()")
    page.get_by_text("Already filled in the template?").click()
    template = (ROOT / "content" / "TEMPLATE.md").read_text("utf-8")
    page.get_by_label("Paste the file").fill(template)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your case study")
    expect(page.locator("main")).to_contain_text("This looks like the template as it comes")
    expect(page.locator("main")).not_to_contain_text("front matter")
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("Example Borough Council")
    shot(page, "suggest-03-template-pasted")
    axe(page, "suggest: check your answers")
    # Check your answers: "Change" moves to the question in the form below.
    page.get_by_role("link", name="Change type of organisation").click()
    expect(page.get_by_label("Type of organisation")).to_be_in_viewport()


def test_without_javascript_the_answers_are_kept_too(nojs_page, app_url):
    page = nojs_page
    page.goto(app_url + "/suggest")
    expect(page.locator(".app-draft-notice")).to_have_count(0)
    fill_some(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.get_by_label("Type of organisation")).to_have_value("local-authority")
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("Sample Council")
