"""The answers a contributor gives for a new case study, checked against the format's rules.

`kb new` and the web form both check a :class:`CaseStudyDraft` here before writing the file, so
they accept and refuse the same things and say so in the same words; the validator then checks
the file they make.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kb.content import rules
from kb.content.taxonomy import Taxonomy, Vocabulary
from kb.services.scaffold import CaseStudyDraft

_FULL_CPV = re.compile(r"\d{8}(-\d)?")


@dataclass(frozen=True)
class DraftProblem:
    """A problem with one answer. ``field`` names the draft field (``sources.2.url``...)."""

    field: str
    message: str


def parse_cpv(text: str | Iterable[str], taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    """Two-digit divisions from codes typed as "45", "5", "45000000-7" or "45, 50".

    Returns the known divisions (first occurrence order) and the codes that are not divisions.
    """
    raw = re.split(r"[\s,;]+", text) if isinstance(text, str) else list(text)
    divisions: list[str] = []
    bad: list[str] = []
    for code in (c.strip() for c in raw):
        if not code:
            continue
        division = code[:2] if _FULL_CPV.fullmatch(code) else code.zfill(2)
        if division not in taxonomy.cpv_divisions:
            bad.append(code[:20])
        elif division not in divisions:
            divisions.append(division)
    return divisions, bad


def unknown_terms(values: Iterable[str], vocab: Vocabulary, what: str) -> list[str]:
    """Messages for values not in ``vocab``, each with the nearest valid slugs."""
    out = []
    for value in values:
        if value not in vocab:
            near = vocab.suggest(value, n=2)
            hint = (" (did you mean " + " or ".join(near) + "?)") if near else ""
            out.append(f"Unknown {what} '{value}'{hint}")
    return out


class _Problems(list[DraftProblem]):
    def need(self, ok: bool, where: str, message: str) -> None:
        if not ok:
            self.append(DraftProblem(where, message))


def _check_text(p: _Problems, d: CaseStudyDraft, complete: bool) -> None:
    # Lengths only for a complete draft: `kb new` writes what it is given and the validator
    # then lists what is still to fix, line by line.
    if not complete:
        return
    p.need(bool(d.title), "title", "Enter a title")
    if d.title:
        span = rules.TITLE_CHARS
        p.need(len(d.title) in span, "title", f"Title must be {span.describe('characters')}")
    p.need(bool(d.organisation), "organisation", "Enter the name of the organisation")
    if d.organisation:
        span = rules.ORGANISATION_CHARS
        p.need(
            len(d.organisation) in span,
            "organisation",
            f"Organisation must be {span.describe('characters')}",
        )
    p.need(bool(d.summary), "summary", "Enter a summary")
    if d.summary:
        span = rules.SUMMARY_CHARS
        p.need(len(d.summary) in span, "summary", f"Summary must be {span.describe('characters')}")


def _check_years(p: _Problems, d: CaseStudyDraft, complete: bool, today: dt.date) -> None:
    start, end = d.year_start, d.year_end
    p.need(start is not None or not complete, "year_start", "Enter the year the work began")
    if start is not None and not rules.EARLIEST_YEAR <= start <= today.year:
        p.append(
            DraftProblem(
                "year_start",
                f"First year must be a year between {rules.EARLIEST_YEAR} and {today.year}",
            )
        )
    if end is not None:
        if end > today.year:
            p.append(
                DraftProblem("year_end", f"Last year must be a year no later than {today.year}")
            )
        elif start is not None and end < start:
            p.append(DraftProblem("year_end", "Last year must be the same as or after the first"))


def _check_lists(p: _Problems, d: CaseStudyDraft, tax: Taxonomy, complete: bool) -> None:
    lists: tuple[tuple[str, list[str], Vocabulary, str, rules.Span, str], ...] = (
        ("regions", d.regions, tax.regions, "region", rules.REGIONS, "regions"),
        ("themes", d.themes, tax.themes, "theme", rules.THEMES, "themes"),
        ("outcomes", d.outcomes, tax.outcomes, "outcome", rules.OUTCOMES, "outcomes"),
        ("stages", d.stages, tax.procurement_stages, "procurement stage", rules.STAGES, "stages"),
    )
    for name, values, vocab, what, span, plural in lists:
        for message in unknown_terms(values, vocab, what):
            p.append(DraftProblem(name, message))
        p.need(bool(values) or not complete, name, f"Select at least one {what}")
        p.need(len(values) <= span.max, name, f"Select up to {span.max} {plural}")
    for field_name, value, vocab, what in (
        ("organisation_type", d.organisation_type, tax.organisation_types, "organisation type"),
        ("evidence", d.evidence, tax.evidence_levels, "evidence level"),
    ):
        if value:
            p.extend(DraftProblem(field_name, m) for m in unknown_terms([value], vocab, what))
        else:
            p.need(not complete, field_name, f"Select the {what}")
    if d.scope and d.scope not in rules.SCOPES:
        p.append(DraftProblem("scope", f"Unknown scope '{d.scope}' ({', '.join(rules.SCOPES)})"))
    p.need(bool(d.scope) or not complete, "scope", "Select what kind of work it was")
    p.need(len(d.cpv) <= rules.CPV_DIVISIONS.max, "cpv", "Give up to 10 CPV divisions")


def _check_sources(p: _Problems, d: CaseStudyDraft, complete: bool) -> None:
    for i, src in enumerate(d.sources, start=1):
        if not src.title:
            p.append(DraftProblem(f"sources.{i}.title", f"Enter the title of source {i}"))
        if not src.url:
            p.append(DraftProblem(f"sources.{i}.url", f"Enter the web address of source {i}"))
        elif not src.url.startswith("https://"):
            p.append(
                DraftProblem(f"sources.{i}.url", f"Source {i} web address must start with https://")
            )
    p.need(bool(d.sources) or not complete, "sources.1.url", "Enter at least one source")


def check_draft(
    draft: CaseStudyDraft, taxonomy: Taxonomy, *, complete: bool, today: dt.date | None = None
) -> list[DraftProblem]:
    """Problems with the answers. ``complete`` requires every field (the web form); without it
    only given answers are checked (`kb new` leaves the rest for the contributor to fill in)."""
    today = today or dt.date.today()
    problems = _Problems()
    _check_text(problems, draft, complete)
    _check_years(problems, draft, complete, today)
    _check_lists(problems, draft, taxonomy, complete)
    _check_sources(problems, draft, complete)
    return list(problems)
