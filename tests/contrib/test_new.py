"""`kb new` and the scaffold it writes (kb/services/scaffold.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from kb.content.library import casestudy_files
from kb.content.taxonomy import load_taxonomy
from kb.content.validate import check_bytes, check_files
from kb.services.scaffold import CaseStudyDraft, SourceDraft, render_case_study, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Torbay Council: Employment & Skills Plans", "torbay-council-employment-skills-plans"),
        ("The Council's £2m  retrofit -- phase 2!", "councils-2m-retrofit-phase-2"),
        ("Ynys Môn: café contracts", "ynys-mon-cafe-contracts"),
        ("  ", ""),
        ("of the and", "of-the-and"),  # only filler words: keep them rather than nothing
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_slugify_cuts_long_titles_at_a_word():
    slug = slugify(
        "Preston City Council and anchor institutions: community wealth building "
        "through progressive procurement (the Preston Model)"
    )
    assert len(slug) <= 60 and not slug.endswith("-")
    assert slug.startswith("preston-city-council-anchor-institutions")


def _full_draft() -> CaseStudyDraft:
    return CaseStudyDraft(
        title='Example Council: "local labour" in repairs',
        organisation="Example Council",
        organisation_type="local-authority",
        regions=["north-east", "north-west"],
        year_start=2019,
        year_end=2022,
        summary="The council asked its repairs contractor to hire local people: # not a comment, "
        "and it reported ten jobs in the first year of the contract.",
        themes=["employment"],
        outcomes=["local-recruitment"],
        scope="contract",
        cpv=["50"],
        value_gbp=1_000_000,
        stages=["specification"],
        evidence="self-reported",
        sources=[SourceDraft("Council report: repairs", "https://www.example.gov.uk/r", "own")],
        last_reviewed=dt.date(2025, 1, 2),
        sections={n: f"{n} text." for n in ("Challenge", "Approach", "Outcomes", "Lessons")},
    )


def test_a_complete_draft_renders_a_valid_file(content_dir):
    tax = load_taxonomy(content_dir / "taxonomy.yaml")
    rendered = render_case_study(_full_draft())
    cs, problems = check_bytes("x.md", "example-repairs", rendered.text.encode(), tax)
    assert problems == [] and cs is not None
    assert cs.meta.summary.startswith("The council asked") and "# not a comment" in cs.meta.summary
    assert cs.meta.title == 'Example Council: "local labour" in repairs'
    assert cs.meta.region == ["north-east", "north-west"]
    # Each field's lines are known, so a form can put a message next to the right field.
    line = rendered.lines["evidence"][0]
    assert rendered.text.splitlines()[line - 1].startswith("evidence: self-reported")
    assert rendered.field_at(rendered.lines["cpv"][0]) == "cpv"


def test_kb_new_non_interactive_writes_the_template(run, settings):
    result = run(
        "new",
        "--no-input",
        "--title",
        "Example Council: apprentices on the grounds maintenance contract",
        "--org",
        "Example Council",
        "--type",
        "local-authority",
        "--region",
        "north-east,yorkshire-and-the-humber",
        "--start",
        "2021",
        "--summary",
        "The council asked its grounds maintenance contractor to take on local "
        "apprentices and reported six over three years.",
        "--theme",
        "employment",
        "--outcome",
        "apprenticeships",
        "--scope",
        "contract",
        "--cpv",
        "77",
        "--value",
        "250000",
        "--stage",
        "specification",
        "--evidence",
        "self-reported",
        "--source",
        "Cabinet report | https://www.example.gov.uk/cabinet | own",
        "--source",
        "Local paper | https://news.example.org/story | independent",
    )
    assert result.exit_code == 0, result.output
    path = settings.casestudies_dir / "example-council-apprentices-grounds-maintenance-contract.md"
    assert path.exists() and f"Created {path}" in result.output
    text = path.read_text()
    assert text.startswith('---\ntitle: "Example Council: apprentices')
    assert "region: [north-east, yorkshire-and-the-humber]" in text
    assert 'cpv: ["77"]' in text and "value_gbp: 250000" in text
    assert "type: independent" in text
    for name in ("Challenge", "Approach", "Outcomes", "Lessons"):
        assert f"\n## {name}\n" in text
    # Only the four empty sections are left to do, and the output says so.
    tax = load_taxonomy(settings.taxonomy_path)
    _, problems = check_bytes(str(path), path.stem, path.read_bytes(), tax)
    assert {p.code for p in problems if p.severity == "error"} == {"empty-section"}
    assert "the '## Challenge' section" in result.output and "kb suggest-tags" in result.output
    # Written sections make a valid case study that does not clash with the library.
    filled = text
    for name in ("Challenge", "Approach", "Outcomes", "Lessons"):
        filled = filled.replace(f"## {name}\n", f"## {name}\n\n{name} written from the sources.\n")
    path.write_text(filled)
    report = check_files([path], tax, library=casestudy_files(settings.content_dir))
    assert report.ok, [str(p) for p in report.problems]


def test_kb_new_with_only_a_title_leaves_commented_blanks(run, settings):
    result = run(
        "new", "--no-input", "--title", "Example Council: a fair work charter", "--org", "X"
    )
    assert result.exit_code == 0, result.output
    text = (settings.casestudies_dir / "example-council-fair-work-charter.md").read_text()
    assert "organisation_type:  # e.g. local-authority" in text
    assert "themes: []  # `kb suggest-tags FILE --write` proposes some" in text
    assert "  # - title:" in text  # an example source, commented out
    assert "line 4: organisation_type" in result.output


def test_kb_new_refuses_to_overwrite(run, settings):
    existing = settings.casestudies_dir / "example-council-local-labour.md"
    before = existing.read_bytes()
    result = run("new", "--no-input", "--title", "Example Council local labour", "--org", "X")
    assert result.exit_code == 1
    assert "already exists: not overwriting it" in result.output
    assert existing.read_bytes() == before
    # Case differences do not get round it either.
    result = run(
        "new",
        "--no-input",
        "--title",
        "whatever title",
        "--org",
        "X",
        "--slug",
        "example-council-local-labour",
    )
    assert result.exit_code == 1 and existing.read_bytes() == before


def test_kb_new_reports_unknown_tags_with_suggestions_and_writes_nothing(run, settings):
    before = sorted(p.name for p in settings.casestudies_dir.iterdir())
    result = run(
        "new",
        "--no-input",
        "--title",
        "Example Council: something new",
        "--org",
        "X",
        "--theme",
        "employmnt",
        "--region",
        "nort-east",
        "--cpv",
        "4X",
        "--start",
        "1850",
    )
    assert result.exit_code == 2
    out = result.output
    assert "--theme: Unknown theme 'employmnt' (did you mean employment" in out
    assert "--region: Unknown region 'nort-east' (did you mean north-east" in out
    assert "--cpv: '4X' is not a CPV division" in out
    assert "--start: First year must be a year between 1990" in out
    result = run(
        "new",
        "--no-input",
        "--title",
        "Example Council: another",
        "--org",
        "X",
        "--source",
        "https://www.example.gov.uk/r",
    )
    assert result.exit_code == 2 and "--source: Enter the title of source 1" in result.output
    assert sorted(p.name for p in settings.casestudies_dir.iterdir()) == before


def test_kb_new_needs_a_usable_slug(run):
    result = run("new", "--no-input", "--title", "£ — !!", "--org", "X")
    assert result.exit_code == 2 and "give --slug" in result.output


def test_kb_new_asks_for_missing_answers(run, settings):
    answers = (
        "\n".join(
            [
                "Example Council: meet the buyer events for small firms",  # title
                "Example Council",  # organisation
                "",  # organisation type: default local-authority
                "london",  # regions
                "2022",
                "",  # years
                "",  # summary later
                "local-businesses",  # themes
                "sme-and-vcse-access",  # outcomes
                "cross-cutting",  # scope
                "",  # CPV
                "pre-procurement",  # stages
                "",  # evidence: default
                "https://www.example.gov.uk/meet-the-buyer",
                "Meet the buyer report",
                "own",
                "",  # no more sources
            ]
        )
        + "\n"
    )
    result = run("new", "--input", input=answers)
    assert result.exit_code == 0, result.output
    text = (
        settings.casestudies_dir / "example-council-meet-buyer-events-small-firms.md"
    ).read_text()
    assert "organisation_type: local-authority" in text and "region: london" in text
    assert "themes: [local-businesses]" in text and "scope: cross-cutting" in text
    assert 'url: "https://www.example.gov.uk/meet-the-buyer"' in text
