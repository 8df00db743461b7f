"""Problems found in case-study files, and the ways they are printed."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

from kb.content.model import CaseStudy

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    column: int
    severity: Severity
    message: str
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    case_studies: list[CaseStudy] = field(default_factory=list)
    files_checked: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


class Checker:
    """Collects problems for one file."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    def add(
        self, code: str, message: str, line: int = 1, column: int = 1, severity: Severity = "error"
    ):
        self.problems.append(Problem(self.path, line, column, severity, message, code))


def _summary(report: Report) -> str:
    verdict = "OK" if report.ok else "FAILED"
    return (
        f"{verdict}: {report.files_checked} file(s) checked, {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s)"
    )


def format_text(report: Report) -> str:
    return "\n".join([*(str(p) for p in report.problems), _summary(report)])


def format_json(report: Report) -> str:
    return json.dumps(
        {
            "ok": report.ok,
            "files_checked": report.files_checked,
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "problems": [asdict(p) for p in report.problems],
        },
        indent=2,
    )


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(report: Report) -> str:
    """GitHub Actions workflow commands, so problems show on the pull request's diff."""
    out = [
        f"::{p.severity} file={_gh_escape(p.path, True)},line={p.line},col={p.column},"
        f"title={_gh_escape(p.code, True)}::{_gh_escape(p.message)}"
        for p in report.problems
    ]
    return "\n".join([*out, _summary(report)])


FORMATTERS = {"text": format_text, "json": format_json, "github": format_github}
