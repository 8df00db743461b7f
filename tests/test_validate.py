"""The validator's every check, on the broken fixtures in tests/fixtures/broken/."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli.main import app
from kb.content.taxonomy import load_taxonomy
from kb.content.validate import check_bytes, check_files, expand_paths, format_github

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "fixtures" / "broken"
VALID = ROOT / "tests" / "fixtures" / "casestudies" / "example-council-local-labour.md"
TODAY = dt.date(2026, 11, 25)

# file -> the (code, line, column) problems it must produce, and a phrase of the message
EXPECTED = {
    "no-front-matter.md": [("front-matter", 1, 1, "must start with front matter")],
    "unclosed-front-matter.md": [("front-matter", 1, 1, "not closed")],
    "yaml-error.md": [("front-matter", 12, 9, "started at line 11")],
    "not-a-mapping.md": [("front-matter", 2, 1, "must be a mapping")],
    "missing-field.md": [("missing-field", 1, 1, "'organisation'")],
    "extra-field.md": [("unknown-field", 19, 1, "did you mean `themes`")],
    "mistyped-field.md": [
        ("bad-type", 7, 9, "'years.start'"),
        ("bad-type", 16, 3, "'procurement.value_gbp'"),
    ],
    "unknown-terms.md": [
        ("unknown-term", 6, 1, "did you mean `north-east`"),
        ("unknown-term", 11, 22, "did you mean `local-businesses`"),
        ("unknown-term", 15, 15, 'two-digit division "45"'),
    ],
    "unquoted-cpv.md": [("bad-cpv", 15, 9, 'quoted, e.g. "50"'), ("bad-cpv", 15, 13, "")],
    "bad-urls.md": [
        ("insecure-url", 21, 5, "must use https"),
        ("bad-url", 24, 5, "spaces"),
        ("bad-url", 27, 5, "must start with https://"),
    ],
    "future-date.md": [("bad-date", 23, 1, "in the future")],
    "impossible-years.md": [("bad-date", 7, 22, "before 'years.start'")],
    "missing-section.md": [("missing-section", 25, 1, "'## Lessons'")],
    "raw-html.md": [
        ("raw-html", 38, 36, "<b>"),
        ("raw-html", 38, 45, "</b>"),
        ("raw-html", 40, 1, ""),
    ],
    "unsafe-link.md": [("unsafe-link", 42, 61, "javascript")],
    "non-utf8.md": [("not-utf8", 28, 16, "0xff")],
    "Bad_Slug.md": [("bad-slug", 1, 1, "lower-case")],
    "oversized.md": [("too-large", 1, 1, "limit is 65,536")],
    "duplicate-key.md": [("duplicate-key", 19, 1, "'evidence' is given twice")],
    "duplicate-title-a.md": [],
    "duplicate-title-b.md": [("duplicate-title", 3, 1, "duplicate-title-a.md")],
    "stale-review.md": [("stale", 23, 1, "more than 3 years")],
}


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(ROOT / "content" / "taxonomy.yaml")


@pytest.fixture(scope="module")
def report(taxonomy):
    return check_files(sorted(BROKEN.glob("*.md")), taxonomy, today=TODAY)


def test_every_fixture_is_covered():
    assert {p.name for p in BROKEN.glob("*.md")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_fixture_reports_exact_problems(report, name):
    got = [p for p in report.problems if Path(p.path).name == name]
    assert [(p.code, p.line, p.column) for p in got] == [e[:3] for e in EXPECTED[name]], got
    for problem, (*_, phrase) in zip(got, EXPECTED[name], strict=True):
        assert phrase in problem.message


def test_warnings_do_not_fail_but_errors_do(report):
    stale = [p for p in report.problems if Path(p.path).name == "stale-review.md"]
    assert all(p.severity == "warning" for p in stale)
    assert not report.ok
    assert "stale-review" in {cs.slug for cs in report.case_studies}


def test_valid_fixture_passes(taxonomy):
    result = check_files([VALID], taxonomy, today=TODAY)
    assert result.ok and result.problems == []
    (cs,) = result.case_studies
    assert cs.slug == "example-council-local-labour"
    assert cs.meta.procurement.cpv == ["50", "45"]
    assert set(cs.sections) == {"Challenge", "Approach", "Outcomes", "Lessons"}


def test_duplicate_slug_across_folders(taxonomy, tmp_path):
    other = tmp_path / "example-council-local-labour.md"
    other.write_text(VALID.read_text().replace("local labour clauses", "another title"))
    result = check_files([other], taxonomy, library=[VALID], today=TODAY)
    assert [p.code for p in result.errors] == ["duplicate-slug"]
    assert str(VALID) in result.errors[0].message


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"---",
        b"---\n---\n",
        b"\xff\xfe\x00",
        b"---\n: :\n---\n",
        b"---\ntitle: [\n---\n",
        b"---\ntitle: !!python/object:os.system x\n---\n",
        b"---\n" + b"a: &a [*a]\n" + b"---\n",
        b"---\nyears: {start: 99999999999999999999}\n---\n",
    ],
)
def test_hostile_input_gives_errors_not_crashes(taxonomy, raw):
    cs, problems = check_bytes("x.md", "x-file", raw, taxonomy, TODAY)
    assert cs is None and any(p.severity == "error" for p in problems)


def test_unreadable_file_does_not_stop_others(taxonomy, tmp_path):
    dangling = tmp_path / "gone.md"
    os.symlink(tmp_path / "nowhere", dangling)
    result = check_files([dangling, VALID], taxonomy, today=TODAY)
    assert [p.code for p in result.errors] == ["unreadable"]
    assert [cs.slug for cs in result.case_studies] == ["example-council-local-labour"]


def test_github_format_escapes_and_annotates(report):
    out = format_github(report)
    assert "::error file=" in out and ",line=21,col=5," in out
    assert "::warning file=" in out
    assert out.splitlines()[-1].startswith("FAILED:")


runner = CliRunner()


def _env(tmp_path):
    return {"KB_CONTENT_DIR": str(ROOT / "content"), "KB_DATA_DIR": str(tmp_path)}


def test_cli_exit_codes_and_formats(tmp_path):
    ok = runner.invoke(app, ["validate", str(VALID)], env=_env(tmp_path))
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["validate", str(BROKEN), "--format", "json"], env=_env(tmp_path))
    assert bad.exit_code == 1
    data = json.loads(bad.output)
    assert data["ok"] is False and data["errors"] >= 25 and data["warnings"] >= 1
    assert runner.invoke(app, ["validate", "--format", "xml"], env=_env(tmp_path)).exit_code == 2
    missing = runner.invoke(app, ["validate", str(tmp_path / "nope.md")], env=_env(tmp_path))
    assert missing.exit_code == 1 and "no such file" in missing.output


def _non_regular_cases(tmp_path):
    import os

    outside = tmp_path / "outside.md"
    outside.write_text("---\nsecret_key: do-not-print\n---\n", encoding="utf-8")
    folder = tmp_path / "casestudies"
    folder.mkdir()
    (folder / "to-outside.md").symlink_to(outside)
    (folder / "to-dev-zero.md").symlink_to("/dev/zero")
    os.mkfifo(folder / "a-fifo.md")
    return folder


def test_symlinks_and_non_regular_files_are_refused_not_followed(tmp_path):
    """A FIFO would hang, /dev/zero would exhaust memory, an outside file would leak its keys."""
    from kb.content.taxonomy import load_taxonomy

    folder = _non_regular_cases(tmp_path)
    tax = load_taxonomy(Path(__file__).resolve().parent.parent / "content" / "taxonomy.yaml")
    report = check_files(expand_paths([folder]), tax)
    by_file = {Path(p.path).name: p.message for p in report.errors}
    assert set(by_file) == {"to-outside.md", "to-dev-zero.md", "a-fifo.md"}  # none skipped
    assert "symbolic link" in by_file["to-outside.md"]
    assert "symbolic link" in by_file["to-dev-zero.md"]
    assert "not a regular file" in by_file["a-fifo.md"]
    assert not any("secret_key" in p.message for p in report.problems)


def test_kb_validate_on_a_fifo_returns_at_once(tmp_path):
    import subprocess
    import sys

    folder = _non_regular_cases(tmp_path)
    kb = str(Path(sys.executable).parent / "kb")
    result = subprocess.run(
        [kb, "validate", str(folder / "a-fifo.md")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "not a regular file" in result.stdout


def test_reading_never_takes_more_than_the_limit(tmp_path):
    from kb.content.files import read_limited
    from kb.content.rules import MAX_FILE_BYTES

    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (MAX_FILE_BYTES * 4))
    assert len(read_limited(big)) == MAX_FILE_BYTES + 1


@pytest.mark.parametrize(
    ("escape", "code"),
    [(r"\x01", "U+0001"), (r"\0", "U+0000"), (r"\e", "U+001B"), (r"\u202e", "U+202E")],
)
def test_control_characters_written_as_yaml_escapes_are_refused(escape, code):
    tax = load_taxonomy(ROOT / "content" / "taxonomy.yaml")
    text = VALID.read_text(encoding="utf-8")
    title_line = next(line for line in text.splitlines() if line.startswith("title:"))
    hostile = text.replace(title_line, f'title: "Example council{escape}: a clean title here"')
    _, problems = check_bytes("x.md", "example-x", hostile.encode("utf-8"), tax)
    assert any(p.code == "control-character" and code in p.message for p in problems)
    body = text + "\nA line with a hidden \u202e override.\n"
    _, problems = check_bytes("x.md", "example-x", body.encode("utf-8"), tax)
    assert any(p.code == "control-character" for p in problems)
