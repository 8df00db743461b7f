"""`kb new`: start a case study from the template, checked against the rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kb.cli.common import fail, load_settings, parse_source, split_values
from kb.content.rules import SLUG_CHARS, SLUG_RE
from kb.content.taxonomy import Taxonomy, TaxonomyError, Vocabulary, load_taxonomy
from kb.content.validate import check_bytes
from kb.services.drafting import check_draft, parse_cpv, unknown_terms
from kb.services.scaffold import (
    CaseStudyDraft,
    RenderedFile,
    body_guidance,
    render_case_study,
    slugify,
)

_OPTION_FOR = {
    "title": "--title",
    "organisation": "--organisation",
    "organisation_type": "--type",
    "regions": "--region",
    "year_start": "--start",
    "year_end": "--end",
    "summary": "--summary",
    "themes": "--theme",
    "outcomes": "--outcome",
    "scope": "--scope",
    "cpv": "--cpv",
    "stages": "--stage",
    "evidence": "--evidence",
}


def _new_problems(
    draft: CaseStudyDraft, tax: Taxonomy, bad_cpv: list[str], slug: str | None
) -> list[str]:
    """The draft's problems in command-line words: each names the option to fix."""
    problems = [] if draft.title else ["give a --title"]
    if not draft.organisation:
        problems.append("give an --organisation")
    for p in check_draft(draft, tax, complete=False):
        option = _OPTION_FOR.get(p.field, "--source")
        problems.append(f"{option}: {p.message}")
    problems += [f"--cpv: '{c}' is not a CPV division: use two digits, like 45" for c in bad_cpv]
    name = slug or slugify(draft.title)
    if not SLUG_RE.match(name or "") or len(name) not in SLUG_CHARS:
        problems.append(
            f"cannot make a file name from this title; give --slug (lower-case words and "
            f"hyphens, 3-80 characters){f', not {name!r}' if name else ''}"
        )
    return problems


def _prompt_terms(
    label: str, vocab: Vocabulary, what: str, current: list[str], hint: str
) -> list[str]:
    while True:
        raw = typer.prompt(f"{label} ({hint})", default=", ".join(current), show_default=False)
        values = split_values([raw])
        problems = unknown_terms(values, vocab, what)
        if not problems:
            return values
        typer.echo("  " + "; ".join(problems), err=True)


def _ask_missing(tax: Taxonomy, given: dict[str, Any]) -> dict[str, Any]:
    """Prompt for each answer not given as an option."""
    a = dict(given)
    typer.echo("New case study. Press Enter to leave an answer for later.\n")
    while not (a["title"] or "").strip():
        a["title"] = typer.prompt("Title (what was bought or done, and by whom)")
    while not (a["organisation"] or "").strip():
        a["organisation"] = typer.prompt("Organisation")
    if a["organisation_type"] is None:
        kinds = _prompt_terms(
            "Organisation type",
            tax.organisation_types,
            "organisation type",
            ["local-authority"],
            "e.g. local-authority, housing-provider, nhs-body",
        )
        a["organisation_type"] = kinds[0] if kinds else None
    if not a["region"]:
        a["region"] = _prompt_terms(
            "Region(s)", tax.regions, "region", [], "e.g. north-east; up to 4, comma-separated"
        )
    return _ask_details(tax, a)


def _ask_details(tax: Taxonomy, a: dict[str, Any]) -> dict[str, Any]:
    _ask_years_and_summary(a)
    _ask_tags(tax, a)
    if a["evidence"] is None:
        a["evidence"] = typer.prompt(
            "Evidence (independent-evaluation, self-reported, commitments-only, policy-only)",
            default="self-reported",
        )
    if not a["source"]:
        a["source"] = _ask_sources()
    return a


def _ask_years_and_summary(a: dict[str, Any]) -> None:
    for key, question in (
        ("start", "First year of the work"),
        ("end", "Last year (blank if continuing)"),
    ):
        if a[key] is None:
            raw = typer.prompt(question, default="", show_default=False)
            a[key] = int(raw) if raw.strip().isdigit() else None
    if a["summary"] is None:
        a["summary"] = typer.prompt(
            "Summary (1-3 sentences; blank to write later)", default="", show_default=False
        )


def _ask_tags(tax: Taxonomy, a: dict[str, Any]) -> None:
    for key, label, vocab, what, hint in (
        ("theme", "Themes", tax.themes, "theme", "blank: `kb suggest-tags` can propose them"),
        ("outcome", "Outcomes", tax.outcomes, "outcome", "blank for later"),
    ):
        if not a[key]:
            a[key] = _prompt_terms(label, vocab, what, [], hint)
    if a["scope"] is None:
        a["scope"] = typer.prompt(
            "Scope (contract, programme, cross-cutting, not-procurement)", default="contract"
        )
    for key, label, vocab, what, hint in (
        ("cpv", "CPV divisions", tax.cpv_divisions, "CPV division", "e.g. 45, 50"),
        (
            "stage",
            "Procurement stages",
            tax.procurement_stages,
            "procurement stage",
            "e.g. specification, contract-management",
        ),
    ):
        if not a[key]:
            a[key] = _prompt_terms(label, vocab, what, [], hint)


def _ask_sources() -> list[str]:
    sources: list[str] = []
    while True:
        url = typer.prompt("Source URL (blank when done)", default="", show_default=False)
        if not url.strip():
            return sources
        title = typer.prompt("  its title")
        kind = typer.prompt("  own or independent", default="own")
        sources.append(f"{title} | {url.strip()} | {kind}")


def new(
    title: Annotated[str | None, typer.Option(help="What was bought or done, and by whom.")] = None,
    organisation: Annotated[
        str | None, typer.Option("--organisation", "--org", help="The lead organisation.")
    ] = None,
    organisation_type: Annotated[
        str | None,
        typer.Option(
            "--type", "--organisation-type", help="e.g. local-authority, housing-provider."
        ),
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option(help="Region slug; repeat or comma-separate (up to 4).")
    ] = None,
    start: Annotated[int | None, typer.Option(help="The year the work began.")] = None,
    end: Annotated[
        int | None, typer.Option(help="The year it ended (leave out if continuing).")
    ] = None,
    summary: Annotated[str | None, typer.Option(help="1-3 sentences, 40-600 characters.")] = None,
    theme: Annotated[
        list[str] | None, typer.Option(help="Theme slug; repeat or comma-separate.")
    ] = None,
    outcome: Annotated[
        list[str] | None, typer.Option(help="Outcome slug; repeat or comma-separate.")
    ] = None,
    scope: Annotated[
        str | None, typer.Option(help="contract, programme, cross-cutting or not-procurement.")
    ] = None,
    cpv: Annotated[list[str] | None, typer.Option(help="Two-digit CPV division, e.g. 45.")] = None,
    value: Annotated[
        int | None, typer.Option(help="Value in pounds, only if a source states it.")
    ] = None,
    stage: Annotated[
        list[str] | None, typer.Option(help="Procurement stage slug; repeatable.")
    ] = None,
    evidence: Annotated[
        str | None,
        typer.Option(
            help="independent-evaluation, self-reported, commitments-only or policy-only."
        ),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(help="'TITLE | https://URL | own-or-independent'; repeat for each source."),
    ] = None,
    slug: Annotated[
        str | None, typer.Option(help="File name without .md (default: from the title).")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Folder to write to (default: content/casestudies)."),
    ] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--input/--no-input",
            help="Ask for missing answers (default: only when run in a terminal).",
        ),
    ] = None,
) -> None:
    """Start a new case study: write content/casestudies/<slug>.md from the template."""

    settings = load_settings()
    try:
        tax = load_taxonomy(settings.taxonomy_path)
    except TaxonomyError as exc:
        raise fail(str(exc), 2) from exc
    a: dict[str, Any] = {
        "title": title,
        "organisation": organisation,
        "organisation_type": organisation_type,
        "region": region,
        "start": start,
        "end": end,
        "summary": summary,
        "theme": theme,
        "outcome": outcome,
        "scope": scope,
        "cpv": cpv,
        "stage": stage,
        "evidence": evidence,
        "source": source,
    }
    if sys.stdin.isatty() if interactive is None else interactive:
        a = _ask_missing(tax, a)
    divisions, bad_cpv = parse_cpv(split_values(a["cpv"]), tax)
    draft = CaseStudyDraft(
        title=(a["title"] or "").strip(),
        organisation=(a["organisation"] or "").strip(),
        organisation_type=a["organisation_type"] or "",
        regions=split_values(a["region"]),
        year_start=a["start"],
        year_end=a["end"],
        summary=a["summary"] or "",
        themes=split_values(a["theme"]),
        outcomes=split_values(a["outcome"]),
        scope=a["scope"] or "",
        cpv=divisions,
        value_gbp=value,
        stages=split_values(a["stage"]),
        evidence=a["evidence"] or "",
        sources=[parse_source(s) for s in a["source"] or []],
    )
    problems = _new_problems(draft, tax, bad_cpv, slug)
    if problems:
        raise fail("kb new: " + "\n  ".join(["cannot write the case study:", *problems]), 2)
    name = slug or slugify(draft.title)
    rendered = render_case_study(draft)
    path = _write_new(rendered, directory or settings.casestudies_dir, name)
    _print_next_steps(path, name, rendered, tax)


def _write_new(rendered: RenderedFile, folder: Path, name: str) -> Path:
    """Write the file, never over an existing one (names compared case-insensitively)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    clash = next((p for p in folder.glob("*.md") if p.stem.lower() == name), None)
    if clash is not None:
        raise fail(
            f"kb new: {clash} already exists: not overwriting it. Edit that file, or choose "
            "another name with --slug.",
            1,
        )
    try:
        with path.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(rendered.text)
    except FileExistsError as exc:
        raise fail(f"kb new: {path} already exists: not overwriting it.", 1) from exc
    typer.echo(f"Created {path}")
    return path


def _print_next_steps(path: Path, name: str, rendered: RenderedFile, tax: Taxonomy) -> None:
    """What the validator still wants, field by field, and the commands to run next."""
    _, found = check_bytes(str(path), name, rendered.text.encode("utf-8"), tax)
    todo: dict[str, int] = {}
    for p in found:
        if p.severity == "error":
            where = rendered.field_at(p.line) or "front matter"
            if where.startswith("section."):
                where = f"the '## {where.removeprefix('section.')}' section"
            todo.setdefault(where.split(".")[0], p.line)
    if todo:
        typer.echo("\nStill to fill in (`kb validate` checks these):")
        for where, line in todo.items():
            typer.echo(f"  line {line}: {where}")
    typer.echo("\nWrite the four sections in your own words:")
    typer.echo(body_guidance())
    typer.echo(
        f"\nThen run:\n  kb suggest-tags {path} --write   # propose themes and outcomes"
        f"\n  kb validate {path}"
    )
