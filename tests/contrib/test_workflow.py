"""The repository workflow files: CI workflow, pre-commit, templates, CODEOWNERS, changelog."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def _runs(job: dict) -> list[str]:
    return [s["run"] for s in _steps(job) if "run" in s]


def test_the_workflow_parses_and_runs_what_ci_runs():
    wf = yaml.safe_load(WORKFLOW.read_text())
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers and "push" in triggers
    assert wf["permissions"] == {"contents": "read"}
    test_job = wf["jobs"]["test"]
    assert "bash .ci/run" in _runs(test_job)
    assert any(s.get("uses", "").startswith("actions/checkout@") for s in _steps(test_job))
    setup = next(
        s for s in _steps(test_job) if s.get("uses", "").startswith("actions/setup-python@")
    )
    assert str(setup["with"]["python-version"]) == "3.11"  # as pyproject.toml requires
    # .ci/run is the CI entry point and runs the README's test command.
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci_run
    makefile = (ROOT / "Makefile").read_text()
    test_target = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check ." in test_target and "pytest" in test_target


def test_the_case_study_job_validates_changed_files_for_github():
    wf = yaml.safe_load(WORKFLOW.read_text())
    job = wf["jobs"]["case-studies"]
    runs = "\n".join(_runs(job))
    assert "content/casestudies/*.md" in runs and "--diff-filter=ACMR" in runs
    assert "make setup" in runs  # the same installation as .ci/run
    validate = next(r for r in _runs(job) if "kb validate" in r)
    argv = shlex.split(validate.split("<")[0])
    assert argv[-3:] == ["validate", "--format", "github"] and argv[-4].endswith("kb")
    checkout = next(s for s in _steps(job) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the diff needs the base commit
    assert "check-links" not in WORKFLOW.read_text().replace("`kb check-links` is never run", "")


def test_the_validate_command_the_workflow_calls_works(repo_root, tmp_path, monkeypatch):
    """`kb validate --format github FILE` prints annotations GitHub shows on the diff."""
    from kb.cli.main import app

    monkeypatch.setenv("KB_CONTENT_DIR", str(repo_root / "content"))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "var"))
    bad = repo_root / "tests" / "fixtures" / "broken" / "unknown-terms.md"
    result = CliRunner().invoke(app, ["validate", "--format", "github", str(bad)])
    assert result.exit_code == 1
    assert re.search(
        r"^::error file=.*unknown-terms\.md,line=\d+,col=\d+,title=unknown-term::",
        result.output,
        re.M,
    )


def test_pre_commit_runs_the_validator_and_ruff():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert hooks["kb-validate"]["entry"] == ".venv/bin/kb validate"
    assert re.match(hooks["kb-validate"]["files"], "content/casestudies/preston-model.md")
    assert not re.match(hooks["kb-validate"]["files"], "content/TEMPLATE.md")
    assert hooks["ruff-check"]["entry"].startswith(".venv/bin/ruff check")
    assert hooks["ruff-format"]["entry"].startswith(".venv/bin/ruff format --check")
    assert all(h["language"] == "system" for h in hooks.values())


def test_templates_codeowners_and_changelog():
    pr = (ROOT / ".github" / "pull_request_template.md").read_text()
    assert "- [ ] Every figure, date, quotation and outcome comes from a source" in pr
    assert "kb validate" in pr
    issue = yaml.safe_load(
        (ROOT / ".github" / "ISSUE_TEMPLATE" / "case-study-idea.yml").read_text()
    )
    assert issue["name"] == "Case study idea"
    ids = [b.get("id") for b in issue["body"] if b["type"] != "markdown"]
    assert {"organisation", "what", "sources"} <= set(ids)
    owners = (ROOT / ".github" / "CODEOWNERS").read_text()
    rules = [ln.split() for ln in owners.splitlines() if ln.strip() and not ln.startswith("#")]
    assert any(r[0] == "/content/casestudies/" and len(r) > 1 for r in rules)
    assert any(r[0] == "*" for r in rules)
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and "kb suggest-tags" in changelog
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for needle in (
        "Without git",
        "With git",
        "self-reported",
        "Commitments are not results",
        "kb new",
    ):
        assert needle in contributing
