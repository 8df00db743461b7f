"""`kb suggest-tags`: suggestions with confidence and reasons, and `--write` keeping the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.content.library import casestudy_files
from kb.content.taxonomy import load_taxonomy
from kb.content.validate import check_files
from kb.services.tagging import WriteResult, apply_to_text, read_draft

ROOT = Path(__file__).resolve().parents[2]


def strip_tags(text: str) -> str:
    """A case-study file with its themes, outcomes and CPV divisions emptied."""
    import re

    text = re.sub(r"^themes: .*$", "themes: []", text, flags=re.M)
    text = re.sub(r"^outcomes: .*$", "outcomes: []", text, flags=re.M)
    return re.sub(r"^  cpv: .*$", "  cpv: []", text, flags=re.M)


FIXTURES = ROOT / "tests" / "fixtures" / "casestudies"

DRAFT = """---
# A draft: the tags are still to do.
title: "Northshire Council: apprentices and local jobs on the highways maintenance contract"
organisation: Northshire Council   # as it names itself
organisation_type: local-authority
region: north-east
years: {start: 2020}
summary: >-
  Northshire Council required its highways maintenance contractor to recruit apprentices
  and long-term unemployed residents, and reported 14 apprenticeship starts.
themes: []   # kb suggest-tags will help
outcomes: []
procurement:
  scope: contract
  cpv: ["45"]          # two-digit divisions
  stages: [specification, contract-management]
evidence: self-reported
sources:
  - title: "Cabinet report"
    url: https://www.example.gov.uk/cabinet
    type: own
last_reviewed: 2025-05-01
---

## Challenge

Youth unemployment in the county was high and few local people worked on the council's
highways and construction contracts.

## Approach

The specification asked the contractor for an employment and skills plan: apprenticeships,
work placements for jobseekers and local recruitment, reported quarterly in contract management.

## Outcomes

The council reported 14 apprenticeship starts and 22 local people recruited.

## Lessons

Put the skills plan in the contract and monitor it like any other KPI.
"""


def test_suggestions_rank_true_tags_first_with_reasons(run, drafts_dir):
    path = drafts_dir / "northshire-highways.md"
    path.write_text(DRAFT)
    result = run("suggest-tags", path, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    themes = [t["slug"] for t in data["themes"]]
    assert themes[0] == "employment"
    assert all(0.0 <= t["confidence"] <= 1.0 for t in data["themes"])
    top = data["themes"][0]
    assert top["confidence"] >= 0.5 and any(r.startswith("words: ") for r in top["reasons"])
    assert any(r.startswith("closest passage") for r in top["reasons"])
    outcomes = [o["slug"] for o in data["outcomes"][:5]]
    assert "apprenticeships" in outcomes
    assert {"apprenticeships"} <= set(data["confident"]["outcomes"])
    # The text names the service: highways maintenance -> repair and maintenance (50).
    assert "50" in [c["slug"] for c in data["cpv"]]
    assert "maintenance" in " ".join(data["cpv"][0]["reasons"])


def test_write_adds_confident_tags_and_keeps_the_rest_of_the_file(run, drafts_dir, settings):
    path = drafts_dir / "northshire-highways.md"
    path.write_text(DRAFT)
    result = run("suggest-tags", path, "--write")
    assert result.exit_code == 0, result.output
    assert "Added to the front matter: themes employment" in result.output
    after = path.read_text()
    before_lines, after_lines = DRAFT.splitlines(), after.splitlines()
    assert len(before_lines) == len(after_lines)
    changed = [(b, a) for b, a in zip(before_lines, after_lines, strict=True) if b != a]
    assert [a.split(":")[0].strip() for _, a in changed][:2] == ["themes", "outcomes"]
    assert {a.split(":")[0].strip() for _, a in changed} <= {"themes", "outcomes", "cpv"}
    themes_line = next(a for _, a in changed if a.startswith("themes:"))
    assert (
        themes_line.startswith("themes: [employment")
        and "# kb suggest-tags will help" in themes_line
    )
    # Comments, quoting, flow style and the body are kept exactly.
    assert "# A draft: the tags are still to do." in after
    assert "organisation: Northshire Council   # as it names itself" in after
    assert "years: {start: 2020}" in after
    assert after.split("\n---\n", 1)[1] == DRAFT.split("\n---\n", 1)[1]
    # And the result is a valid case study.
    tax = load_taxonomy(settings.taxonomy_path)
    report = check_files([path], tax, library=casestudy_files(settings.content_dir))
    assert report.ok, [str(p) for p in report.problems]
    # Running it again adds nothing new.
    again = run("suggest-tags", path, "--write")
    assert "Nothing added" in again.output and path.read_text() == after


def test_suggest_a_fixture_case_study_leave_one_out(run, settings, drafts_dir):
    """A shipped fixture, tags removed: the suggester (whose library then excludes nothing of
    the draft's own file) recovers its themes."""
    src = settings.casestudies_dir / "fixture-school-catering-food.md"
    draft = drafts_dir / "catering.md"
    draft.write_text(strip_tags(src.read_text()))
    src.unlink()  # leave it out of the library too
    data = run("suggest-tags", draft, "--format", "json").output
    data = json.loads(data[data.index("{") :])
    top3 = [t["slug"] for t in data["themes"][:3]]
    assert {"environment", "vulnerable-groups", "local-businesses"} & set(top3)
    assert "food-and-poverty" in [o["slug"] for o in data["outcomes"][:5]]
    assert data["cpv"] and data["cpv"][0]["slug"] == "55"  # "school meals" names catering


def test_text_output_and_a_draft_without_front_matter(run, drafts_dir):
    path = drafts_dir / "notes.md"
    path.write_text(
        "## Approach\n\nThe council put the Real Living Wage into its care contracts.\n"
    )
    result = run("suggest-tags", path)
    assert result.exit_code == 0, result.output
    assert "Themes (confidence, most likely first):" in result.output
    assert "real-living-wage" in result.output
    # --write needs front matter to write into.
    result = run("suggest-tags", path, "--write")
    assert result.exit_code == 1 and "cannot add tags" in result.output


def test_an_empty_file_is_refused(run, drafts_dir):
    path = drafts_dir / "empty.md"
    path.write_text("---\ntitle:\n---\n")
    result = run("suggest-tags", path)
    assert result.exit_code == 1 and "no title, summary or body" in result.output


# ---- writing without the model ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted((ROOT / "content" / "casestudies").glob("*.md"))[:52], ids=lambda p: p.stem
)
def test_apply_changes_only_the_tag_lines_of_shipped_files(path):
    text = path.read_text(encoding="utf-8")
    assert apply_to_text(text, WriteResult()) == text
    draft = read_draft(text)
    new_theme = next(
        t for t in ("environment", "assets", "employment") if t not in draft.listed("themes")
    )
    out = apply_to_text(text, WriteResult(themes=[new_theme]))
    diff = [(a, b) for a, b in zip(text.splitlines(), out.splitlines(), strict=True) if a != b]
    if draft.listed("themes") and "\nthemes: [" in text:
        assert len(diff) == 1 and diff[0][1].startswith("themes: [") and new_theme in diff[0][1]
    assert read_draft(out).listed("themes") == [*draft.listed("themes"), new_theme]


def test_apply_inserts_missing_keys_in_schema_order_and_keeps_block_lists():
    text = (
        "---\ntitle: T\nsummary: S\nprocurement:\n  scope: contract\n  stages: [policy-strategy]\n"
        "outcomes:\n  - apprenticeships  # kept\nlast_reviewed: 2025-01-01\n---\n\nBody\n"
    )
    out = apply_to_text(
        text, WriteResult(themes=["employment"], outcomes=["local-recruitment"], cpv=["45"])
    )
    assert out == (
        "---\ntitle: T\nsummary: S\nthemes: [employment]\nprocurement:\n  scope: contract\n"
        '  cpv: ["45"]\n  stages: [policy-strategy]\noutcomes:\n  - apprenticeships  # kept\n'
        "  - local-recruitment\nlast_reviewed: 2025-01-01\n---\n\nBody\n"
    )
    crlf = text.replace("\n", "\r\n")
    assert (
        apply_to_text(crlf, WriteResult(themes=["employment"])).count("\r\n")
        == crlf.count("\r\n") + 1
    )


def test_read_draft_is_lenient():
    d = read_draft('---\ntitle: "Broken: [yaml\nsummary: A summary\n---\n## Approach\n\nText.\n')
    assert d.title.startswith("Broken") and d.summary == "A summary"
    assert d.sections == [("Approach", "Text.")]
    assert read_draft("no front matter at all").sections == [("", "no front matter at all")]
