"""The social value plan page (issue 10) in a real browser: the form filled by keyboard alone on a
desktop and a phone, a shareable GET that reproduces the plan, "Change" links, the GOV.UK error
pattern, axe, no JavaScript, the copy buttons, the print layout and the Word download.

The app serves the fixture library with the fixture knowledge map (tests/fixtures/plan), so the
plans here are shorter than the shipped map's; bench/ is the place to measure those.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 320, "height": 700}

# A typical procurement: refuse collection, £3m, 7 years, North East, two priority themes.
TYPICAL = {
    "title": "Household waste and recycling collection",
    "description": "Weekly refuse and recycling collection for the borough, with a new fleet.",
    "cpv": "90511000",
    "value": "£3m",
    "months": "7 years",
    "region": "north-east",
    "buyer": "local-authority",
}
THEMES = ["employment", "environment"]
# What a "Change" link in "How we read your procurement" must focus: the row's own field.
CHANGE_TARGETS = {
    "Kind of contract": "#cpv",
    "Value": "#value",
    "Length": "#months",
    "Region": "#region",
    "Buyer": "#buyer",
    "Your priorities": "#theme-employment",  # a group's first checkbox, as GOV.UK links
    "Needs your description names": "#description",
}


def plan_url(app_url: str, **changes: str) -> str:
    fields = {**TYPICAL, **changes}
    return f"{app_url}/plan?" + urlencode([*fields.items(), *(("theme", t) for t in THEMES)])


def focused(page, selector: str) -> bool:
    return bool(page.evaluate("(s) => document.activeElement.matches(s)", selector))


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab from the top of the page until `selector` has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    pytest.fail(f"{selector} never received focus after {limit} presses of Tab")


def fill_by_keyboard(page) -> None:
    """Fill the plan form with Tab, typing, type-ahead in the selects and Space on checkboxes;
    each field is found by its label and must be the next stop in the Tab order."""
    tab_to(page, "#title")
    steps = [
        ("Procurement title", TYPICAL["title"]),
        ("Description", TYPICAL["description"]),
        ("CPV codes", TYPICAL["cpv"]),
        ("Estimated value", TYPICAL["value"]),
        ("Contract length (optional)", TYPICAL["months"]),
    ]
    for i, (label, text) in enumerate(steps):
        if i:
            page.keyboard.press("Tab")
        expect(page.get_by_label(label, exact=True)).to_be_focused()
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    region = page.get_by_label("Where the contract is delivered")
    expect(region).to_be_focused()
    page.keyboard.type("North East")  # type-ahead on a closed select
    expect(region).to_have_value("north-east")
    page.keyboard.press("Tab")
    buyer = page.get_by_label("Type of buyer")
    expect(buyer).to_be_focused()
    page.keyboard.type("Local authority")
    expect(buyer).to_have_value("local-authority")
    boxes = page.locator("input[name=theme]")
    for i in range(boxes.count()):
        page.keyboard.press("Tab")
        box = boxes.nth(i)
        expect(box).to_be_focused()
        if box.get_attribute("value") in THEMES:
            page.keyboard.press("Space")
            expect(box).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Write the plan")).to_be_focused()


def no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{what} is {width} px wide in a {viewport} px viewport"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_plan_journey_by_keyboard(page, app_url, shot, viewport):
    page.set_viewport_size(viewport)
    name = "desktop" if viewport is DESKTOP else "phone"
    page.goto(app_url + "/plan")
    no_sideways_scroll(page, "the empty form")
    fill_by_keyboard(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/plan\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TYPICAL["title"])

    # The address carries every field, so the plan can be bookmarked and shared.
    query = parse_qs(urlsplit(page.url).query, keep_blank_values=True)
    assert {k: v for k, v in query.items() if k != "theme"} == {k: [v] for k, v in TYPICAL.items()}
    assert sorted(query["theme"]) == sorted(THEMES)

    reading = page.locator(".govuk-summary-list")
    expect(reading).to_contain_text("£3 million")
    expect(reading).to_contain_text("84 months")
    expect(reading).to_contain_text("North East")
    expect(reading).to_contain_text("Refuse collection")
    assert page.locator(".app-plan-outcome").count() >= 1
    cases = page.locator("li.app-plan-case")
    assert cases.count() >= 1
    for i in range(cases.count()):  # each case study's reasons, each said once
        reasons = cases.nth(i).locator("li").all_inner_texts()
        assert len(reasons) == len(set(reasons)), reasons
    no_sideways_scroll(page, "the plan")
    shot(page, f"plan-01-{name}")

    # Reloading the address reproduces the same plan.
    main = page.locator("main")
    before = main.inner_text()
    page.reload()
    assert main.inner_text() == before

    # Each "Change" link, followed by keyboard, puts focus on that row's field.
    rows = page.locator(".govuk-summary-list__row")
    labels = [rows.nth(i).locator("dt").inner_text().strip() for i in range(rows.count())]
    assert {"Kind of contract", "Value", "Length", "Region", "Your priorities"} <= set(labels)
    for i, label in enumerate(labels):
        link = rows.nth(i).get_by_role("link", name=re.compile(r"^Change"))
        expect(link).to_have_accessible_name(f"Change {label.lower()}")
        link.focus()
        page.keyboard.press("Enter")
        target = CHANGE_TARGETS.get(label, "#title")
        expect(page.locator(target)).to_be_focused()
        expect(page.locator(target)).to_be_in_viewport()


def test_errors_use_the_govuk_pattern_and_keep_the_answers(page, app_url, shot):
    page.goto(plan_url(app_url))
    form = page.locator("#procurement form")
    form.get_by_label("CPV codes").fill("99999999")
    form.get_by_label("Estimated value").fill("lots")
    with page.expect_response(re.compile(r"/plan\?")) as answer:
        form.get_by_role("button", name="Update the plan").click()
    assert answer.value.status == 400
    expect(page).to_have_title(re.compile(r"^Error: "))

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    links = summary.get_by_role("link")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#cpv",
        "#value",
    ]
    for field in ("cpv", "value"):
        expect(page.locator(f"#{field}-error")).to_be_visible()
        expect(page.locator(f"#{field}")).to_have_attribute(
            "aria-describedby", re.compile(rf"\b{field}-error\b")
        )
    shot(page, "plan-02-errors")

    # Every answer is kept, the wrong ones too, so nothing has to be typed again.
    expect(page.locator("#title")).to_have_value(TYPICAL["title"])
    expect(page.locator("#description")).to_have_value(TYPICAL["description"])
    expect(page.locator("#cpv")).to_have_value("99999999")
    expect(page.locator("#value")).to_have_value("lots")
    expect(page.locator("#months")).to_have_value(TYPICAL["months"])
    expect(page.locator("#region")).to_have_value("north-east")
    expect(page.locator("#buyer")).to_have_value("local-authority")
    for theme in THEMES:
        expect(page.locator(f"#theme-{theme}")).to_be_checked()
    expect(page.locator("input[name=theme]:checked")).to_have_count(len(THEMES))

    # The summary's links move focus to their fields.
    links.nth(1).click()
    expect(page.locator("#value")).to_be_focused()
    links.nth(0).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cpv")).to_be_focused()


def test_axe_on_the_form_the_plan_and_the_errors(page, app_url, axe):
    page.goto(app_url + "/plan")
    axe(page, "the empty plan form")
    page.goto(plan_url(app_url))
    expect(page.locator(".app-plan-outcome").first).to_be_visible()
    axe(page, "a plan")
    response = page.goto(plan_url(app_url, cpv="99999999", value="lots"))
    assert response is not None and response.status == 400
    axe(page, "the plan form with errors")
    page.set_viewport_size(PHONE)
    page.goto(plan_url(app_url))
    axe(page, "a plan on a phone")


def test_the_plan_without_javascript(nojs_page, app_url, shot):
    page = nojs_page
    page.goto(app_url + "/plan")
    page.get_by_label("Procurement title").fill(TYPICAL["title"])
    page.get_by_label("CPV codes").fill(TYPICAL["cpv"])
    page.get_by_label("Estimated value").fill(TYPICAL["value"])
    page.get_by_label("Where the contract is delivered").select_option("north-east")
    page.get_by_label("Environmental Impact").check()
    page.get_by_role("button", name="Write the plan").click()
    page.wait_for_url(re.compile(r"/plan\?.*cpv=90511000"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TYPICAL["title"])
    assert page.locator(".app-plan-outcome").count() >= 1

    # No script, no copy buttons: the text is there to select.
    copy = page.locator("button.app-copy, [data-copy-text]")
    assert copy.count() >= 1
    for i in range(copy.count()):
        expect(copy.nth(i)).to_be_hidden()
    expect(page.locator("[id^=question-]").first).to_be_visible()

    # The downloads are plain links that answer with files.
    for name, ext, kind in [
        ("Download as a Word file (.docx)", "docx", "wordprocessingml"),
        ("Download as Markdown", "md", "text/markdown"),
    ]:
        link = page.get_by_role("link", name=name)
        href = link.get_attribute("href") or ""
        assert href.startswith(f"/plan.{ext}?"), href
        got = page.request.get(app_url + href)
        assert got.status == 200, href
        assert kind in got.headers["content-type"]
        assert f".{ext}" in got.headers["content-disposition"]
    shot(page, "plan-03-nojs")

    # Errors come from the server, with the summary and the field's message.
    page.get_by_label("CPV codes").fill("99999999")
    page.get_by_role("button", name="Update the plan").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    expect(page.locator("#cpv-error")).to_be_visible()
    expect(page.get_by_label("Procurement title")).to_have_value(TYPICAL["title"])


def test_copy_the_question_puts_it_on_the_clipboard(page, app_url):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    try:
        page.goto(plan_url(app_url))
        button = page.locator("button.app-copy").first
        expect(button).to_have_accessible_name(re.compile(r"^Copy the question\s+for \S"))
        target = button.get_attribute("data-copy")
        assert target and target.startswith("question-")
        question = page.locator(f"#{target}").inner_text().strip()
        assert len(question) > 20
        button.click()
        expect(button).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == question

        link = page.get_by_role("button", name="Copy the link to this plan")
        link.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == app_url + "/plan?" + urlsplit(copied).query
        assert parse_qs(urlsplit(copied).query)["cpv"] == [TYPICAL["cpv"]]
    finally:
        page.context.clear_permissions()


def count_pdf_pages(pdf: bytes) -> int:
    """Page objects in the PDF; cross-checked against the page tree's /Count."""
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    counts = [int(c) for c in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(c) for c in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    assert pages >= 1, "no page objects found in the PDF"
    if counts:
        assert max(counts) == pages, (pages, counts)
    return pages


def test_the_printed_plan(page, app_url, shot):
    page.goto(plan_url(app_url))
    page.emulate_media(media="print")
    try:
        for selector in [
            ".govuk-template__header",
            ".govuk-service-navigation",
            ".govuk-footer",
            ".govuk-skip-link",
            ".govuk-phase-banner",
            "#procurement",  # the form
            "#procurement form",
            ".app-plan-actions",  # downloads, change, copy the link
            ".govuk-summary-list__actions",
        ]:
            for i in range(page.locator(selector).count()):
                expect(page.locator(selector).nth(i)).to_be_hidden()
        for i in range(page.locator("button").count()):
            expect(page.locator("button").nth(i)).to_be_hidden()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator(".app-plan-outcome").first).to_be_visible()
        expect(page.get_by_text(re.compile(r"^This plan: http"))).to_be_visible()
        shot(page, "plan-04-print")
        pdf = page.pdf(format="A4")
    finally:
        page.emulate_media(media="screen")
    out = Path(__file__).resolve().parents[2] / "test-output" / "plan-print.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    pages = count_pdf_pages(pdf)
    assert pages <= 3, f"the printed plan is {pages} A4 pages (see {out})"


def test_the_word_download_opens(page, app_url, tmp_path):
    docx = pytest.importorskip("docx", reason="python-docx is not installed")
    page.goto(plan_url(app_url))
    question = page.locator("[id^=question-]").first.inner_text().strip()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download as a Word file (.docx)").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == (
        "social-value-plan-household-waste-and-recycling-collection.docx"
    )
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert TYPICAL["title"] in text
    assert question in text


def test_importing_an_ocds_notice(page, app_url, axe):
    release = {
        "tender": {
            "title": "Refuse collection",
            "items": [{"classification": {"scheme": "CPV", "id": "90511000"}}],
            "value": {"amount": 2500000, "currency": "GBP"},
            "contractPeriod": {"durationInDays": 1826},
        }
    }
    page.goto(app_url + "/plan")
    page.get_by_text("Import a notice from Find a Tender or Contracts Finder (OCDS)").click()
    page.get_by_label("Or upload the JSON file").set_input_files(
        {
            "name": "notice.json",
            "mimeType": "application/json",
            "buffer": json.dumps(release).encode(),
        }
    )
    page.get_by_role("button", name="Read the notice").click()
    # The import redirects to the shareable GET, with the notice's fields in the form.
    page.wait_for_url(re.compile(r"/plan\?.*value=2500000"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Refuse collection")
    expect(page.locator("#cpv")).to_have_value(re.compile(r"^90511000"))
    expect(page.locator("#months")).to_have_value("60")

    # A paste that is not JSON: the error summary, focused, pointing at the paste box.
    page.get_by_text("Import a notice from Find a Tender or Contracts Finder (OCDS)").click()
    page.get_by_label("Paste the OCDS release, record or package (JSON)").fill("{not json")
    page.get_by_role("button", name="Read the notice").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Could not read the OCDS")
    expect(page.locator("#ocds")).to_have_value("{not json")
    summary.get_by_role("link").first.click()
    expect(page.locator("#ocds")).to_be_focused()
    axe(page, "the OCDS import with an error")
