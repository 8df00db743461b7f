"""The "Suggest a case study" form (web/suggest.py): validation, preview, download and PR link."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from kb.content.library import casestudy_files
from kb.content.taxonomy import load_taxonomy
from kb.content.validate import check_files
from kb.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

GOOD = {
    "title": "Sample Council: apprenticeships in a grounds maintenance contract",
    "organisation": "Sample Council",
    "organisation_type": "local-authority",
    "region": ["north-west"],
    "year_start": "2020",
    "year_end": "2023",
    "summary": "The council asked its grounds maintenance contractor to take on local apprentices "
    "and reported six apprentices over the three years of the contract.",
    "themes": ["employment", "environment"],
    "outcomes": ["apprenticeships", "green-space-and-biodiversity"],
    "scope": "contract",
    "cpv": "77, 45",
    "value_gbp": "£1,200,000",
    "stages": ["specification", "contract-management"],
    "evidence": "self-reported",
    "source-1-title": "Council report on the grounds contract",
    "source-1-url": "https://www.sample.gov.uk/grounds-report",
    "source-1-type": "own",
    "source-2-title": "Local paper: apprentices tend the parks",
    "source-2-url": "https://news.example.org/parks-apprentices",
    "source-2-type": "independent",
    "last_reviewed": "2025-01-02",
    "section-challenge": "Few young people in the borough had routes into outdoor work.",
    "section-approach": "- The specification asked for two apprentices a year.\n"
    "- Progress was reviewed at quarterly contract meetings.",
    "section-outcomes": "The council reported six apprentices over three years.",
    "section-lessons": "Small contracts can still carry apprenticeships if they run long enough.",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The web app over the fixture library, built: the form checks against what is served."""
    from kb.services.indexing import build
    from web.app import create_app

    root = tmp_path_factory.mktemp("suggest-site")
    content = root / "content"
    (content / "casestudies").mkdir(parents=True)
    shutil.copy(ROOT / "content" / "taxonomy.yaml", content / "taxonomy.yaml")
    for f in sorted((ROOT / "tests" / "fixtures" / "casestudies").glob("*.md")):
        shutil.copy(f, content / "casestudies" / f.name)
    settings = Settings(
        content_dir=content,
        data_dir=root / "var",
        repository_url="https://github.com/example/social-value-kb",
        repository_branch="main",
    )
    build(settings)
    app = create_app(settings)
    with TestClient(app) as client:
        yield client, settings


def test_the_empty_form(site):
    client, _ = site
    r = client.get("/suggest", params={"all": "1"})
    assert r.status_code == 200
    html = r.text
    assert '<h1 class="govuk-heading-xl">Suggest a case study</h1>' in html
    for name in (
        "title",
        "organisation",
        "summary",
        "section-challenge",
        "source-1-url",
        "last_reviewed",
    ):
        assert f'name="{name}"' in html
    assert 'value="apprenticeships"' in html and 'value="north-east"' in html
    assert "govuk-error-summary" not in html
    assert "<script>" not in html.split("</head>", 1)[1]  # no JavaScript needed on the page


def test_invalid_answers_show_errors_by_the_fields_and_in_a_summary(site):
    client, _ = site
    data = {
        **GOOD,
        "title": "Short",
        "year_start": "1850",
        "themes": [],
        "cpv": "45000000, 99",
        "source-1-url": "http://insecure.example.org",
        "section-lessons": "",
        "organisation": "<script>alert(1)</script>",
    }
    r = client.post("/suggest", data=data)
    assert r.status_code == 400
    html = r.text
    assert "<title>Error: Suggest a case study" in html
    summary = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    links = re.findall(r'href="#([^"]+)">\s*([^<]+?)\s*</a>', summary)
    fields = [f for f, _ in links]
    assert fields[:2] == ["title", "year_start"]  # in the order of the form
    assert {"themes", "cpv", "source-1-url", "section-lessons"} <= set(fields)
    messages = dict(links)
    assert messages["title"] == "Title must be between 10 and 160 characters"
    assert "“99” is not a CPV division" in messages["cpv"]
    assert messages["source-1-url"] == "Source 1 web address must start with https://"
    # The same message sits next to the field, and the answers are kept (escaped).
    assert 'id="title-error"' in html and 'id="themes-error"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'value="Short"' in html


def test_validator_messages_reach_the_form(site):
    client, _ = site
    # An outcome under no chosen theme: the validator's warning is shown, not an error.
    r = client.post(
        "/suggest",
        data={
            **GOOD,
            "outcomes": ["apprenticeships", "carbon-reduction"],
            "themes": ["employment"],
        },
    )
    assert r.status_code == 200
    assert "sits under environment" in unescape(r.text)
    # Raw HTML in a section is refused by the validator and shown next to that section.
    r = client.post("/suggest", data={**GOOD, "section-approach": "<div>hello</div>"})
    assert r.status_code == 400
    assert 'href="#section-approach"' in r.text and "Raw HTML is not allowed" in r.text


def test_valid_answers_give_a_preview_a_download_and_a_pull_request_link(site):
    client, settings = site
    r = client.post("/suggest", data=GOOD)
    assert r.status_code == 200, r.text[r.text.find("error-summary__list") :][:800]
    html = r.text
    assert "Your case study passes the checks" in html
    assert '<h3 class="govuk-heading-l">Sample Council: apprenticeships' in html  # the preview
    assert "<li>The specification asked for two apprentices a year.</li>" in html
    assert "77 Agricultural, forestry" in html and "£1.2m" in html
    slug = "sample-council-apprenticeships-grounds-maintenance-contract"
    assert f"<code>{slug}.md</code>" in html
    # The pull-request link opens GitHub's new-file page with the whole file filled in.
    href = unescape(
        re.search(r'href="(https://github.com/example/social-value-kb/new/[^"]+)"', html).group(1)
    )
    parts = urlsplit(href)
    assert parts.path == "/example/social-value-kb/new/main"
    query = parse_qs(parts.query)
    assert query["filename"] == [f"content/casestudies/{slug}.md"]
    prefilled = query["value"][0]
    assert prefilled.startswith('---\ntitle: "Sample Council')
    assert "too long to fill in completely" not in html
    # The download carries the answers in hidden fields, and gives the same file.
    hidden = re.search(r'<form action="/suggest/download".*?</form>', html, re.S).group(0)
    pairs = [
        (unescape(k), unescape(v)) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', hidden)
    ]
    form: dict[str, list[str]] = {}
    for k, v in pairs:
        form.setdefault(k, []).append(v)
    d = client.post("/suggest/download", data=form)
    assert d.status_code == 200
    assert d.headers["content-type"].startswith("text/markdown")
    assert d.headers["content-disposition"] == f'attachment; filename="{slug}.md"'
    assert d.text == prefilled
    # The downloaded file passes `kb validate` in the library, as it will in the pull request.
    path = settings.casestudies_dir / f"{slug}.md"
    path.write_text(d.text, encoding="utf-8")
    try:
        tax = load_taxonomy(settings.taxonomy_path)
        report = check_files([path], tax, library=casestudy_files(settings.content_dir))
        assert report.ok and report.warnings == [], [str(p) for p in report.problems]
        cs = report.case_studies[0]
        assert (
            cs.meta.procurement.cpv == ["77", "45"] and cs.meta.procurement.value_gbp == 1_200_000
        )
        assert [s.type for s in cs.meta.sources] == ["own", "independent"]
    finally:
        path.unlink()


def test_download_of_invalid_answers_shows_the_form_again(site):
    client, _ = site
    r = client.post("/suggest/download", data={**GOOD, "summary": "Too short."})
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    assert "Summary must be between 40 and 600 characters" in r.text


def test_existing_titles_and_near_duplicates(site):
    client, _ = site
    r = client.post(
        "/suggest",
        data={
            **GOOD,
            "title": "Example Borough Council: local labour clauses in a housing repairs contract",
        },
    )
    assert r.status_code == 400 and "already exists (example-council-local-labour)" in r.text
    summary = (
        "A synthetic test case: the council asked its housing repairs contractor to "
        "recruit long-term unemployed residents and apprentices, and monitored the "
        "commitments every quarter."
    )
    r = client.post("/suggest", data={**GOOD, "summary": summary})
    assert r.status_code == 200
    assert (
        "The summary is very like" in unescape(r.text) and "example-council-local-labour" in r.text
    )


def test_limits_and_a_long_file(site):
    from web.suggest_form import MAX_PREFILL_URL, new_file_url

    client, _ = site
    r = client.post("/suggest", data={**GOOD, "title": "x" * 500})
    assert r.status_code == 400 and "Title must be 160 characters or fewer" in r.text
    long_text = "\n\n".join(f"Paragraph {i}: " + "words " * 60 for i in range(12))
    r = client.post("/suggest", data={**GOOD, "section-approach": long_text})
    assert r.status_code == 200
    assert "too long to fill in completely" in r.text
    url, cut = new_file_url("https://github.com/o/r", "main", "a-b", "---\n" + long_text * 2)
    assert cut and len(url) <= MAX_PREFILL_URL
    url, cut = new_file_url("https://github.com/o/r/", "main", "a-b", "short\n")
    assert (
        not cut
        and url
        == "https://github.com/o/r/new/main?filename=content/casestudies/a-b.md&value=short%0A"
    )


def test_a_visitors_summary_is_never_stored(site):
    from search.build import embedding_cache_path
    from search.embedding import EmbeddingCache, model_identity, text_key

    client, settings = site
    summary = (
        "A one-off summary that only this test writes: a parish council bought hedge "
        "laying from a local social enterprise and reported six trainees."
    )
    r = client.post("/suggest", data={**GOOD, "summary": summary})
    assert r.status_code == 200
    path = embedding_cache_path(settings.index_dir)
    with EmbeddingCache(path, model_identity(settings.model)) as cache:
        assert cache.get_many([text_key(summary)]) == {}
        library = cache.get_many([text_key(" ".join(GOOD["summary"].split()))])
    assert library == {}  # GOOD's summary is a visitor's too: never stored


# --- issue 14: answers kept, plain messages, a pasted or uploaded file, the email route ------


def _summary_links(html: str) -> list[tuple[str, str]]:
    summary = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="#([^"]+)">\s*([^<]+?)\s*</a>', unescape(summary))


def test_every_answer_is_shown_again_so_an_unchanged_resubmission_passes(site):
    client, _ = site
    r = client.post("/suggest", data={**GOOD, "title": "Short"})
    assert r.status_code == 400
    assert re.search(r'<option value="local-authority"\s+selected', r.text), "type forgotten"
    assert 'value="independent" checked' in r.text  # source 2's publisher is kept
    r = client.post("/suggest", data=GOOD)
    answers = unescape(r.text.split("Check your answers</h2>", 1)[1].split("</dl>", 1)[0])
    assert "Local authority" in answers and 'href="#organisation_type"' in answers
    change = r.text.split('id="change"', 1)[1]
    assert re.search(r'<option value="local-authority"\s+selected', change)


def test_a_missing_https_is_reported_once_on_the_address(site):
    client, _ = site
    r = client.post("/suggest", data={**GOOD, "source-1-url": "www.sample.gov.uk/report"})
    assert r.status_code == 400
    links = _summary_links(r.text)
    about_source_1 = [(f, m) for f, m in links if f.startswith("source-1")]
    assert about_source_1 == [("source-1-url", "Source 1 web address must start with https://")]
    assert "(got" not in unescape(r.text)


def test_no_publisher_is_preselected_and_a_filled_source_needs_one(site):
    client, _ = site
    html = client.get("/suggest").text
    assert 'name="source-1-type" type="radio" value="own" checked' not in html
    data = {k: v for k, v in GOOD.items() if k != "source-2-type"}
    r = client.post("/suggest", data=data)
    assert r.status_code == 400
    assert (
        "source-2-type",
        "Select who published source 2: the organisation or someone independent",
    ) in _summary_links(r.text)


def test_delivered_wording_on_commitments_only_is_a_warning(site):
    client, _ = site
    data = {
        **GOOD,
        "evidence": "commitments-only",
        "section-outcomes": "The contractor delivered six apprenticeships.",
    }
    r = client.post("/suggest", data=data)
    assert r.status_code == 200
    text = unescape(r.text)
    assert "the Outcomes section says “delivered”" in text
    assert "Commitments or targets only" in text


def test_the_template_pasted_is_read_from_its_front_matter(site):
    client, _ = site
    template = (ROOT / "content" / "TEMPLATE.md").read_text("utf-8")
    r = client.post("/suggest/import", data={"markdown": template})
    text = unescape(r.text)
    assert "front matter" not in text.lower()
    assert "This looks like the template as it comes" in text
    assert 'value="Example Borough Council"' in text  # the answers fill in the form


def test_an_uploaded_case_study_gives_its_answers_or_errors_on_the_fields(site):
    client, _ = site
    download = client.post("/suggest/download", data=GOOD)
    file = download.content.replace(
        b"Sample Council: apprenticeships", b"Other Council: apprentices"
    )
    r = client.post("/suggest/import", files={"markdown_file": ("case.md", file, "text/markdown")})
    assert r.status_code == 200, _summary_links(r.text)
    assert "Check your case study" in r.text and "Other Council: apprentices" in unescape(r.text)
    # A broken file: one message, on the paste box.
    r = client.post("/suggest/import", data={"markdown": "title: no front matter"})
    assert r.status_code == 400
    assert _summary_links(r.text) == [
        (
            "markdown",
            "The file could not be read (line 1): file must start with front matter: "
            "a line '---', YAML, then '---'",
        )
    ]
    # A file whose answers are wrong: the errors sit on the questions.
    bad = file.replace(b"https://www.sample.gov.uk/grounds-report", b"http://x.example")
    r = client.post("/suggest/import", files={"markdown_file": ("case.md", bad, "text/markdown")})
    assert r.status_code == 400
    assert ("source-1-url", "Source 1 web address must start with https://") in _summary_links(
        r.text
    )


def test_the_email_route_is_offered_only_when_a_maintainer_address_is_set(site):
    client, settings = site
    assert "No GitHub account?" not in client.get("/suggest").text
    settings.maintainer_email = "case-studies@example.org"
    try:
        assert "mailto:case-studies@example.org" in client.get("/suggest").text
        r = client.post("/suggest", data=GOOD)
        assert "mailto:case-studies@example.org?subject=Case%20study%3A%20" in r.text
    finally:
        settings.maintainer_email = ""


def test_one_part_at_a_time_carries_the_answers_and_checks_each_part(site):
    from web.suggest_form import part_of

    client, _ = site
    first = client.get("/suggest").text
    assert "Part 1 of 5" in first and 'name="title"' in first and 'name="themes"' not in first
    answers = list(_pairs(GOOD))
    # Part 1 with a mistake: only part 1's questions are checked, and the error is shown there.
    part1 = [(k, v) for k, v in answers if part_of(k) == 1]
    bad = [("part", "1"), *[(k, "Short" if k == "title" else v) for k, v in part1]]
    r = client.post("/suggest", data=_form(bad))
    assert r.status_code == 400 and "Part 1 of 5" in r.text
    assert [f for f, _ in _summary_links(r.text)] == ["title"]
    carried = part1
    for part in range(1, 6):
        mine = [(k, v) for k, v in answers if part_of(k) == part]
        data = [("part", str(part)), *dict.fromkeys(carried + mine)]
        r = client.post("/suggest", data=_form(data))
        assert r.status_code == 200, (
            part,
            _summary_links(r.text) if "error-summary" in r.text else "",
        )
        if part < 5:
            assert f"Part {part + 1} of 5" in r.text
            hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', r.text)
            carried = [(k, unescape(v)) for k, v in hidden if k != "part"]
            assert {k for k, _ in carried} >= {k for k, _ in mine}, "answers not carried on"
    assert "Check your answers" in r.text and "Ready to send" in r.text
    # Back goes to the part before, keeping what was typed.
    r = client.post("/suggest", data={"part": "3", "go": "back", "title": "Kept title here"})
    assert "Part 2 of 5" in r.text and 'value="Kept title here"' in r.text


def _pairs(data: dict) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for k, v in data.items():
        out.extend((k, x) for x in v) if isinstance(v, list) else out.append((k, v))
    return out


def _form(pairs) -> dict[str, list[str]]:
    """(name, value) pairs as the test client's form data (a list per repeated name)."""
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out
