"""Checks of a case study's front matter beyond its schema: tags, years, CPV, sources, evidence."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from kb.content import rules
from kb.content.frontmatter import ParsedFile
from kb.content.model import FrontMatter
from kb.content.report import Checker
from kb.content.taxonomy import Taxonomy, Vocabulary
from kb.content.text import first_unsafe


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    return " (did you mean " + " or ".join(f"`{s}`" for s in suggestions) + "?)"


def fmt_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_FIELD_NAMES = tuple(FrontMatter.model_fields)


def pydantic_problems(chk: Checker, parsed: ParsedFile, exc: ValidationError) -> None:
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in ("str", "list[str]")))
        # `region: str | list[str]` reports both branches; keep the shorter one.
        kind = err["type"]
        if loc[:2] == ("procurement", "cpv") and isinstance(err.get("input"), int):
            continue  # reported with a clearer message by the CPV check
        name = fmt_loc(loc)
        line, col = parsed.position(loc)
        if kind == "missing":
            chk.add("missing-field", f"missing required field '{name}'", line, col)
        elif kind == "extra_forbidden":
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
    chk: Checker,
    parsed: ParsedFile,
    key: Sequence[str | int],
    values: Any,
    vocab: Vocabulary,
    what: str,
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


def _check_url(chk: Checker, url: Any, line: int, col: int) -> None:
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


def _check_tags(chk: Checker, parsed: ParsedFile, tax: Taxonomy) -> None:
    d = parsed.data
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
        if isinstance(regions, list) and len(regions) not in rules.REGIONS:
            chk.add(
                "bad-region",
                f"'region' must be one region or a list of {rules.REGIONS.min} to "
                f"{rules.REGIONS.max}",
                *parsed.position(("region",)),
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


def _check_outcome_themes(chk: Checker, parsed: ParsedFile, tax: Taxonomy) -> None:
    """Warn when an outcome sits under none of the file's themes."""
    d = parsed.data
    if not isinstance(d.get("themes"), list) or not isinstance(d.get("outcomes"), list):
        return
    themes = {t for t in d["themes"] if isinstance(t, str)}
    for i, slug in enumerate(d["outcomes"]):
        term = tax.outcomes.terms.get(slug) if isinstance(slug, str) else None
        if themes and term and not term.cross_cutting and not themes.intersection(term.themes):
            chk.add(
                "outcome-theme",
                f"outcome '{slug}' sits under {', '.join(term.themes)}; "
                "none of these is in 'themes'",
                *parsed.position(("outcomes", i)),
                severity="warning",
            )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_years(chk: Checker, parsed: ParsedFile, today: dt.date) -> None:
    years = parsed.data.get("years")
    if not isinstance(years, dict) or not _is_int(years.get("start")):
        return
    start: int = years["start"]
    end = years.get("end")
    pos = parsed.position
    if start < rules.EARLIEST_YEAR or start > today.year:
        chk.add(
            "bad-date",
            f"'years.start' {start} is not between {rules.EARLIEST_YEAR} and {today.year}",
            *pos(("years", "start")),
        )
    if not isinstance(end, int) or isinstance(end, bool):
        return
    if end < start:
        chk.add(
            "bad-date", f"'years.end' {end} is before 'years.start' {start}", *pos(("years", "end"))
        )
    elif end > today.year:
        chk.add("bad-date", f"'years.end' {end} is in the future", *pos(("years", "end")))


def _check_cpv_code(chk: Checker, tax: Taxonomy, code: Any, line: int, col: int) -> None:
    if isinstance(code, int):
        chk.add("bad-cpv", f'CPV division {code} must be quoted, e.g. "{code:02d}"', line, col)
    elif isinstance(code, str) and code not in tax.cpv_divisions:
        hint = ""
        if re.fullmatch(r"\d{8}(-\d)?", code):
            hint = f' (use the two-digit division "{code[:2]}")'
        chk.add("unknown-term", f"unknown CPV division '{code}'{hint}", line, col)


def _check_procurement(chk: Checker, parsed: ParsedFile, tax: Taxonomy) -> None:
    proc = parsed.data.get("procurement")
    if not isinstance(proc, dict):
        return
    cpv = proc.get("cpv")
    if isinstance(cpv, list):
        for i, code in enumerate(cpv):
            _check_cpv_code(chk, tax, code, *parsed.position(("procurement", "cpv", i)))
        if not cpv and proc.get("scope") in rules.SCOPES_NEEDING_CPV:
            chk.add(
                "missing-cpv",
                "'procurement.cpv' may be empty only when scope is "
                "'cross-cutting' or 'not-procurement'",
                *parsed.position(("procurement", "cpv")),
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


def _check_sources(chk: Checker, parsed: ParsedFile) -> None:
    sources = parsed.data.get("sources")
    if not isinstance(sources, list):
        return
    seen_urls: set[str] = set()
    for i, src in enumerate(sources):
        if not (isinstance(src, dict) and isinstance(src.get("url"), str)):
            continue
        line, col = parsed.position(("sources", i, "url"))
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


def _check_added(chk: Checker, parsed: ParsedFile, today: dt.date) -> None:
    added = parsed.data.get("added")
    if isinstance(added, dt.datetime):
        added = added.date()
    if not isinstance(added, dt.date):
        return
    line, col = parsed.position(("added",))
    if added > today:
        chk.add("bad-date", f"'added' {added} is in the future", line, col)
    elif added.year < 2000:
        chk.add("bad-date", f"'added' {added} is not a plausible date", line, col)


def _check_reviewed(chk: Checker, parsed: ParsedFile, today: dt.date) -> None:
    reviewed = parsed.data.get("last_reviewed")
    if isinstance(reviewed, dt.datetime):
        reviewed = reviewed.date()
    if not isinstance(reviewed, dt.date):
        return
    line, col = parsed.position(("last_reviewed",))
    if reviewed > today:
        chk.add("bad-date", f"'last_reviewed' {reviewed} is in the future", line, col)
    elif reviewed.year < 2000:
        chk.add("bad-date", f"'last_reviewed' {reviewed} is not a plausible review date", line, col)
    elif (today - reviewed).days > 365 * rules.STALE_AFTER_YEARS:
        chk.add(
            "stale",
            f"'last_reviewed' {reviewed} is more than {rules.STALE_AFTER_YEARS} years ago: "
            "check the sources again",
            line,
            col,
            severity="warning",
        )


def _check_summary(chk: Checker, parsed: ParsedFile) -> None:
    summary = parsed.data.get("summary")
    if not isinstance(summary, str):
        return
    sentences = len(re.findall(r"[.!?](?:\s|$)", summary.strip()))
    if sentences > rules.SUMMARY_MAX_SENTENCES:
        chk.add(
            "long-summary",
            f"'summary' should be 1 to {rules.SUMMARY_MAX_SENTENCES} sentences",
            *parsed.position(("summary",)),
            severity="warning",
        )


def _check_characters(chk: Checker, parsed: ParsedFile) -> None:
    """Refuse control characters and bidi overrides in any text of the front matter."""

    def walk(value: Any, key: tuple[str | int, ...]) -> None:
        if isinstance(value, str):
            bad = first_unsafe(value)
            if bad:
                chk.add(
                    "control-character",
                    f"'{fmt_loc(key)}' contains the invisible character {bad}; remove it",
                    *parsed.position(key),
                )
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*key, str(k)))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*key, i))

    walk(parsed.data, ())


def semantic_checks(chk: Checker, parsed: ParsedFile, tax: Taxonomy, today: dt.date) -> None:
    """Every check that needs the taxonomy, the date or more than one field."""
    _check_characters(chk, parsed)
    _check_tags(chk, parsed, tax)
    _check_outcome_themes(chk, parsed, tax)
    _check_years(chk, parsed, today)
    _check_procurement(chk, parsed, tax)
    _check_sources(chk, parsed)
    _check_contract_evidence(chk, parsed, tax)
    _check_reviewed(chk, parsed, today)
    _check_added(chk, parsed, today)
    _check_summary(chk, parsed)


def _check_contract_evidence(chk: Checker, parsed: ParsedFile, tax: Taxonomy) -> None:
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
                f"'{fmt_loc(key)}' must be the URL of one of this file's 'sources' (got {value!r})",
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
                f"'{fmt_loc(key)}' is marked delivered but gives no 'result'",
                *parsed.position(key),
            )
