"""Check case-study files and report every problem with its position.

The validator never raises on bad content: each broken file yields problems, and other files
are still checked. The same checks guard `kb load`, `kb build` and the "suggest" form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from pydantic import ValidationError

from kb.content.frontmatter import FrontMatterError, ParsedFile, parse
from kb.content.model import SECTION_NAMES, CaseStudy, FrontMatter
from kb.content.taxonomy import Taxonomy

MAX_FILE_BYTES = 64 * 1024
STALE_AFTER_YEARS = 3
EARLIEST_YEAR = 1990
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
SAFE_LINK_SCHEMES = {"http", "https", "mailto"}

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


class _Checker:
    """Collects problems for one file."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    def add(
        self, code: str, message: str, line: int = 1, column: int = 1, severity: Severity = "error"
    ):
        self.problems.append(Problem(self.path, line, column, severity, message, code))


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    return " (did you mean " + " or ".join(f"`{s}`" for s in suggestions) + "?)"


def _fmt_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_FIELD_NAMES = tuple(FrontMatter.model_fields)


def _pydantic_problems(chk: _Checker, parsed: ParsedFile, exc: ValidationError) -> None:
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in ("str", "list[str]")))
        # `region: str | list[str]` reports both branches; keep the shorter one.
        kind = err["type"]
        if loc[:2] == ("procurement", "cpv") and isinstance(err.get("input"), int):
            continue  # reported with a clearer message by the CPV check
        name = _fmt_loc(loc)
        line, col = parsed.position(loc)
        if kind == "missing":
            chk.add("missing-field", f"missing required field '{name}'", line, col)
        elif kind == "extra_forbidden":
            import difflib

            near = (
                difflib.get_close_matches(str(loc[-1]), _FIELD_NAMES, n=1) if len(loc) == 1 else []
            )
            chk.add("unknown-field", f"unknown field '{name}'{_did_you_mean(near)}", line, col)
        else:
            value = err.get("input")
            shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
            if len(shown) > 60:
                shown = shown[:57] + "..."
            chk.add(
                "bad-type", f"'{name}': {err['msg'].rstrip('.').lower()} (got {shown})", line, col
            )


def _check_terms(
    chk: _Checker, parsed: ParsedFile, key: Sequence[str | int], values: Any, vocab, what: str
) -> None:
    items = values if isinstance(values, list) else [values]
    seen: set[str] = set()
    for i, value in enumerate(items):
        loc = (*key, i) if isinstance(values, list) else tuple(key)
        line, col = parsed.position(loc)
        if not isinstance(value, str):
            continue  # type problems are reported by the schema check
        if value in seen:
            chk.add("duplicate-tag", f"{what} '{value}' is listed twice", line, col)
        seen.add(value)
        if value not in vocab:
            hint = _did_you_mean(vocab.suggest(value, n=2))
            chk.add("unknown-term", f"unknown {what} '{value}'{hint}", line, col)


def _check_url(chk: _Checker, url: Any, line: int, col: int) -> None:
    if not isinstance(url, str):
        return
    if any(c.isspace() for c in url) or any(ord(c) < 32 for c in url):
        chk.add("bad-url", f"source URL contains spaces or control characters: {url!r}", line, col)
        return
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        chk.add("bad-url", f"source URL is not valid: {url!r}", line, col)
        return
    if parts.scheme == "http":
        chk.add("insecure-url", f"source URL must use https, not http: {url}", line, col)
    elif parts.scheme != "https":
        chk.add("bad-url", f"source URL must start with https:// (got {url!r})", line, col)
    elif not parts.hostname or "." not in parts.hostname or parts.username or parts.password:
        chk.add("bad-url", f"source URL has no valid host name: {url!r}", line, col)


def _semantic_checks(chk: _Checker, parsed: ParsedFile, tax: Taxonomy, today: dt.date) -> None:
    d = parsed.data
    pos = parsed.position
    if "organisation_type" in d:
        _check_terms(
            chk,
            parsed,
            ("organisation_type",),
            d["organisation_type"],
            tax.organisation_types,
            "organisation type",
        )
    if "region" in d:
        regions = d["region"]
        if isinstance(regions, list) and not 1 <= len(regions) <= 4:
            chk.add(
                "bad-region", "'region' must be one region or a list of 1 to 4", *pos(("region",))
            )
        _check_terms(chk, parsed, ("region",), regions, tax.regions, "region")
    for key, vocab, what in (
        ("themes", tax.themes, "theme"),
        ("outcomes", tax.outcomes, "outcome"),
    ):
        if isinstance(d.get(key), list):
            _check_terms(chk, parsed, (key,), d[key], vocab, what)
    if isinstance(d.get("evidence"), str):
        _check_terms(
            chk, parsed, ("evidence",), d["evidence"], tax.evidence_levels, "evidence level"
        )

    themes = (
        {t for t in d["themes"] if isinstance(t, str)}
        if isinstance(d.get("themes"), list)
        else set()
    )
    if themes and isinstance(d.get("outcomes"), list):
        for i, slug in enumerate(d["outcomes"]):
            term = tax.outcomes.terms.get(slug) if isinstance(slug, str) else None
            if term and not term.cross_cutting and not themes.intersection(term.themes):
                chk.add(
                    "outcome-theme",
                    f"outcome '{slug}' sits under {', '.join(term.themes)}; "
                    "none of these is in 'themes'",
                    *pos(("outcomes", i)),
                    severity="warning",
                )

    years = d.get("years")
    if isinstance(years, dict):
        start, end = years.get("start"), years.get("end")
        if isinstance(start, int) and not isinstance(start, bool):
            if start < EARLIEST_YEAR or start > today.year:
                chk.add(
                    "bad-date",
                    f"'years.start' {start} is not between {EARLIEST_YEAR} and {today.year}",
                    *pos(("years", "start")),
                )
            if isinstance(end, int) and not isinstance(end, bool):
                if end < start:
                    chk.add(
                        "bad-date",
                        f"'years.end' {end} is before 'years.start' {start}",
                        *pos(("years", "end")),
                    )
                elif end > today.year:
                    chk.add(
                        "bad-date", f"'years.end' {end} is in the future", *pos(("years", "end"))
                    )

    proc = d.get("procurement")
    if isinstance(proc, dict):
        cpv = proc.get("cpv")
        if isinstance(cpv, list):
            for i, code in enumerate(cpv):
                line, col = pos(("procurement", "cpv", i))
                if isinstance(code, int):
                    chk.add(
                        "bad-cpv",
                        f'CPV division {code} must be quoted, e.g. "{code:02d}"',
                        line,
                        col,
                    )
                elif isinstance(code, str) and code not in tax.cpv_divisions:
                    hint = ""
                    if re.fullmatch(r"\d{8}(-\d)?", code):
                        hint = f' (use the two-digit division "{code[:2]}")'
                    chk.add("unknown-term", f"unknown CPV division '{code}'{hint}", line, col)
            if not cpv and proc.get("scope") in ("contract", "programme"):
                chk.add(
                    "missing-cpv",
                    "'procurement.cpv' may be empty only when scope is "
                    "'cross-cutting' or 'not-procurement'",
                    *pos(("procurement", "cpv")),
                )
        if isinstance(proc.get("stages"), list):
            _check_terms(
                chk,
                parsed,
                ("procurement", "stages"),
                proc["stages"],
                tax.procurement_stages,
                "procurement stage",
            )

    sources = d.get("sources")
    if isinstance(sources, list):
        seen_urls: set[str] = set()
        for i, src in enumerate(sources):
            if isinstance(src, dict) and isinstance(src.get("url"), str):
                line, col = pos(("sources", i, "url"))
                _check_url(chk, src["url"], line, col)
                if src["url"] in seen_urls:
                    chk.add(
                        "duplicate-source",
                        f"source URL listed twice: {src['url']}",
                        line,
                        col,
                        severity="warning",
                    )
                seen_urls.add(src["url"])

    _check_contract_evidence(chk, parsed, tax)

    reviewed = d.get("last_reviewed")
    if isinstance(reviewed, dt.datetime):
        reviewed = reviewed.date()
    if isinstance(reviewed, dt.date):
        line, col = pos(("last_reviewed",))
        if reviewed > today:
            chk.add("bad-date", f"'last_reviewed' {reviewed} is in the future", line, col)
        elif reviewed.year < 2000:
            chk.add(
                "bad-date", f"'last_reviewed' {reviewed} is not a plausible review date", line, col
            )
        elif (today - reviewed).days > 365 * STALE_AFTER_YEARS:
            chk.add(
                "stale",
                f"'last_reviewed' {reviewed} is more than {STALE_AFTER_YEARS} years ago: "
                "check the sources again",
                line,
                col,
                severity="warning",
            )

    summary = d.get("summary")
    if isinstance(summary, str) and len(re.findall(r"[.!?](?:\s|$)", summary.strip())) > 3:
        chk.add(
            "long-summary",
            "'summary' should be 1 to 3 sentences",
            *pos(("summary",)),
            severity="warning",
        )


def _check_contract_evidence(chk: _Checker, parsed: ParsedFile, tax: Taxonomy) -> None:
    """Each ask names a known outcome, and every record cites one of the file's own sources."""
    ev = parsed.data.get("contract_evidence")
    if not isinstance(ev, dict):
        return
    sources = parsed.data.get("sources")
    urls = (
        {s["url"] for s in sources if isinstance(s, dict) and isinstance(s.get("url"), str)}
        if isinstance(sources, list)
        else set()
    )

    def cited(key: tuple[str | int, ...], value: Any) -> None:
        if isinstance(value, str) and value not in urls:
            chk.add(
                "unlisted-source",
                f"'{_fmt_loc(key)}' must be the URL of one of this file's 'sources' (got {value!r})",
                *parsed.position(key),
            )

    weighting = ev.get("weighting")
    if isinstance(weighting, dict):
        cited(("contract_evidence", "weighting", "source"), weighting.get("source"))
    asks = ev.get("asks")
    if not isinstance(asks, list):
        return
    for i, ask in enumerate(asks):
        if not isinstance(ask, dict):
            continue
        key = ("contract_evidence", "asks", i)
        outcome = ask.get("outcome")
        if isinstance(outcome, str) and outcome not in tax.outcomes:
            hint = _did_you_mean(tax.outcomes.suggest(outcome, n=2))
            chk.add(
                "unknown-term",
                f"unknown outcome '{outcome}'{hint}",
                *parsed.position((*key, "outcome")),
            )
        cited((*key, "source"), ask.get("source"))
        if ask.get("status") == "delivered" and not ask.get("result"):
            chk.add(
                "missing-result",
                f"'{_fmt_loc(key)}' is marked delivered but gives no 'result'",
                *parsed.position(key),
            )


_checker_md = MarkdownIt("commonmark", {"html": True}).enable("table")
_checker_md.validateLink = lambda url: True  # see every link, including javascript:, to report it


def _locate(body_lines: list[str], start: int, end: int, needle: str) -> tuple[int, int]:
    for i in range(start, min(end, len(body_lines))):
        col = body_lines[i].find(needle)
        if col >= 0:
            return i, col + 1
    return start, 1


def _check_body(chk: _Checker, parsed: ParsedFile) -> dict[str, str]:
    """Check sections, raw HTML and links; return section name -> text."""
    body = parsed.body
    base = parsed.body_line
    lines = body.splitlines()
    tokens = _checker_md.parse(body)
    headings: list[tuple[str, int]] = []
    for i, tok in enumerate(tokens):
        mapped = tok.map or [0, 0]
        if tok.type == "html_block":
            chk.add(
                "raw-html", "raw HTML is not allowed in the body; use Markdown", base + mapped[0], 1
            )
        elif tok.type == "heading_open" and tok.tag == "h2":
            headings.append((tokens[i + 1].content.strip(), mapped[0]))
        elif tok.type == "heading_open" and tok.tag == "h1":
            chk.add(
                "bad-heading",
                "use '##' headings for sections; the title comes from the front matter",
                base + mapped[0],
                1,
            )
        elif tok.type == "inline" and tok.children:
            for child in tok.children:
                if child.type == "html_inline":
                    ln, col = _locate(lines, mapped[0], mapped[1], child.content)
                    chk.add(
                        "raw-html",
                        f"raw HTML is not allowed in the body: {child.content[:40]!r}",
                        base + ln,
                        col,
                    )
                elif child.type in ("link_open", "image"):
                    href = str(child.attrs.get("href") or child.attrs.get("src") or "")
                    m = SCHEME_RE.match(href.strip())
                    if m and m.group(1).lower() not in SAFE_LINK_SCHEMES:
                        ln, col = _locate(lines, mapped[0], mapped[1], href)
                        chk.add(
                            "unsafe-link",
                            f"link must be https, http or mailto, not {m.group(1)}:",
                            base + ln,
                            col,
                        )

    names = [h for h, _ in headings]
    sections: dict[str, str] = {}
    for idx, (name, start) in enumerate(headings):
        end = headings[idx + 1][1] if idx + 1 < len(headings) else len(lines)
        sections[name] = "\n".join(lines[start + 1 : end]).strip()
    for name in SECTION_NAMES:
        if name not in names:
            chk.add("missing-section", f"missing body section '## {name}'", base, 1)
        elif not sections.get(name):
            line = base + dict(headings)[name]
            chk.add("empty-section", f"section '## {name}' is empty", line, 1)
    present = [n for n in names if n in SECTION_NAMES]
    if present != [n for n in SECTION_NAMES if n in present]:
        chk.add(
            "section-order",
            "body sections must be in the order " + ", ".join(SECTION_NAMES),
            base,
            1,
        )
    for name, line in headings:
        if name not in SECTION_NAMES:
            chk.add(
                "unknown-section",
                f"unexpected section '## {name}' (use ### inside the four sections)",
                base + line,
                1,
            )
    return sections


def _decode(chk: _Checker, raw: bytes) -> str | None:
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
    chk = _Checker(label)
    if not SLUG_RE.match(slug) or not 3 <= len(slug) <= 80:
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
        chk.add("duplicate-key", f"field '{_fmt_loc(key)}' is given twice", line, col)
    meta: FrontMatter | None = None
    try:
        meta = FrontMatter.model_validate(parsed.data)
    except ValidationError as exc:
        _pydantic_problems(chk, parsed, exc)
    _semantic_checks(chk, parsed, taxonomy, today)
    sections = _check_body(chk, parsed)
    if meta is None or any(p.severity == "error" for p in chk.problems):
        return None, chk.problems
    digest = hashlib.sha256(raw).hexdigest()
    return CaseStudy(slug, label, meta, parsed.body, sections, digest), chk.problems


def check_file(path: Path, taxonomy: Taxonomy, today: dt.date | None = None):
    label = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [
            Problem(label, 1, 1, "error", f"cannot read file: {exc.strerror or exc}", "unreadable")
        ]
    return check_bytes(label, path.stem, raw, taxonomy, today)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to check: Markdown files as given, and *.md inside folders (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.md") if q.is_file()))
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


# ---- output formats -------------------------------------------------------------------------


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
