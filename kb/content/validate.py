"""Check case-study files and report every problem with its position.

The validator never raises on bad content: each broken file yields problems, and other files
are still checked. The same checks guard `kb load`, `kb build` and the "suggest" form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import ValidationError

from kb.content.body import check_body
from kb.content.checks import fmt_loc, pydantic_problems, semantic_checks
from kb.content.files import UnsafeFile, read_limited
from kb.content.frontmatter import FrontMatterError, parse
from kb.content.model import CaseStudy, FrontMatter
from kb.content.report import (
    FORMATTERS,
    Checker,
    Problem,
    Report,
    format_github,
    format_json,
    format_text,
)
from kb.content.rules import MAX_FILE_BYTES, SLUG_CHARS, SLUG_RE
from kb.content.taxonomy import Taxonomy

__all__ = [
    "FORMATTERS",
    "Problem",
    "Report",
    "check_bytes",
    "check_file",
    "check_files",
    "expand_paths",
    "format_github",
    "format_json",
    "format_text",
]


def _decode(chk: Checker, raw: bytes) -> str | None:
    if len(raw) > MAX_FILE_BYTES:
        chk.add("too-large", f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")
        return None
    if b"\x00" in raw:
        chk.add("binary", "file contains NUL bytes; it must be UTF-8 text")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        chk.add(
            "not-utf8",
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            line,
            col,
        )
        return None
    return text.removeprefix("\ufeff")


def check_bytes(
    label: str, slug: str, raw: bytes, taxonomy: Taxonomy, today: dt.date | None = None
) -> tuple[CaseStudy | None, list[Problem]]:
    """Check one file's content. Returns the case study when there are no errors.

    Never raises: a bug met on strange input becomes an error for this file, so the other
    files are still checked.
    """
    try:
        return _check_bytes(label, slug, raw, taxonomy, today)
    except Exception as exc:  # pragma: no cover - a safety net; the property tests hunt these
        return None, [
            Problem(
                label,
                1,
                1,
                "error",
                f"the validator could not check this file "
                f"({exc.__class__.__name__}); please report it",
                "internal-error",
            )
        ]


def _check_bytes(
    label: str, slug: str, raw: bytes, taxonomy: Taxonomy, today: dt.date | None
) -> tuple[CaseStudy | None, list[Problem]]:
    today = today or dt.date.today()
    chk = Checker(label)
    if not SLUG_RE.match(slug) or len(slug) not in SLUG_CHARS:
        chk.add(
            "bad-slug",
            f"file name '{slug}.md' must be 3-80 lower-case letters, digits and hyphens, "
            "e.g. 'torbay-employment-skills-plans.md'",
        )
    text = _decode(chk, raw)
    if text is None:
        return None, chk.problems
    try:
        parsed = parse(text)
    except FrontMatterError as exc:
        chk.add("front-matter", exc.message, exc.line, exc.column)
        return None, chk.problems
    for key, line, col in parsed.duplicate_keys:
        chk.add("duplicate-key", f"field '{fmt_loc(key)}' is given twice", line, col)
    meta: FrontMatter | None = None
    try:
        meta = FrontMatter.model_validate(parsed.data)
    except ValidationError as exc:
        pydantic_problems(chk, parsed, exc)
    semantic_checks(chk, parsed, taxonomy, today)
    sections = check_body(chk, parsed)
    if meta is None or any(p.severity == "error" for p in chk.problems):
        return None, chk.problems
    digest = hashlib.sha256(raw).hexdigest()
    return CaseStudy(slug, label, meta, parsed.body, sections, digest), chk.problems


def check_file(
    path: Path, taxonomy: Taxonomy, today: dt.date | None = None
) -> tuple[CaseStudy | None, list[Problem]]:
    label = str(path)
    try:
        raw = read_limited(path)
    except UnsafeFile as exc:
        return None, [Problem(label, 1, 1, "error", str(exc), "unreadable")]
    return check_bytes(label, path.stem, raw, taxonomy, today)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to check: Markdown files as given, and *.md inside folders (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            # every entry, so that a symlink or pipe is reported rather than silently skipped
            out.extend(sorted(p.glob("*.md")))
        else:
            out.append(p)
    return out


def check_files(
    paths: Sequence[Path],
    taxonomy: Taxonomy,
    *,
    library: Sequence[Path] = (),
    today: dt.date | None = None,
) -> Report:
    """Check files and cross-file rules (duplicate slugs and titles).

    `library` holds the other files that the given ones must not clash with (the shipped content);
    their own problems are not reported.
    """
    report = Report()
    targets = list(dict.fromkeys(paths))
    target_set = {p.resolve() for p in targets}
    others = [p for p in library if p.resolve() not in target_set]
    slug_owner: dict[str, str] = {}
    title_owner: dict[str, str] = {}
    for p in others:
        cs, _ = check_file(p, taxonomy, today)
        slug_owner.setdefault(p.stem.lower(), str(p))
        if cs:
            title_owner.setdefault(cs.title.strip().lower(), str(p))
    for p in targets:
        report.files_checked += 1
        if p.suffix != ".md":
            report.problems.append(
                Problem(str(p), 1, 1, "error", "case studies must be .md files", "not-md")
            )
            continue
        cs, problems = check_file(p, taxonomy, today)
        report.problems.extend(problems)
        owner = slug_owner.get(p.stem.lower())
        if owner:
            report.problems.append(
                Problem(
                    str(p),
                    1,
                    1,
                    "error",
                    f"duplicate slug '{p.stem}': also used by {owner}",
                    "duplicate-slug",
                )
            )
        else:
            slug_owner[p.stem.lower()] = str(p)
        if cs:
            key = cs.title.strip().lower()
            if key in title_owner:
                report.problems.append(
                    Problem(
                        str(p),
                        *_title_position(p),
                        "error",
                        f"duplicate title: also used by {title_owner[key]}",
                        "duplicate-title",
                    )
                )
                continue
            title_owner[key] = str(p)
            if not owner:
                report.case_studies.append(cs)
    report.problems.sort(key=lambda pr: (pr.path, pr.line, pr.column))
    return report


def _title_position(path: Path) -> tuple[int, int]:
    try:
        return parse(path.read_text(encoding="utf-8")).position(("title",))
    except (OSError, ValueError):
        return (1, 1)
