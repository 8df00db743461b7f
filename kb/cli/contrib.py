"""Commands for contributors: `kb new`, `kb suggest-tags` and `kb check-links`.

They are added to the `kb` app by ``register(app)`` (called from kb/cli/main.py).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kb.content.rules import SLUG_CHARS, SLUG_RE
from kb.content.taxonomy import Taxonomy, TaxonomyError, Vocabulary, load_taxonomy
from kb.content.validate import check_bytes
from kb.services.drafting import check_draft, parse_cpv, unknown_terms
from kb.services.scaffold import (
    CaseStudyDraft,
    RenderedFile,
    SourceDraft,
    body_guidance,
    render_case_study,
    slugify,
)
from kb.settings import Settings


def _settings() -> Settings:
    return Settings()


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _split(values: list[str] | None) -> list[str]:
    """Values from repeated options, each of which may also be comma-separated."""
    out: list[str] = []
    for v in values or []:
        out.extend(p.strip() for p in re.split(r"[,;]", v) if p.strip())
    return list(dict.fromkeys(out))


def _parse_source(text: str) -> SourceDraft:
    """'TITLE | URL | TYPE' (title and type optional, any order) -> SourceDraft."""
    parts = [p.strip() for p in text.split("|") if p.strip()]
    url = next((p for p in parts if p.lower().startswith(("https://", "http://"))), "")
    kind = next((p for p in parts if p in ("own", "independent")), "own")
    title = " ".join(p for p in parts if p not in (url, kind))
    return SourceDraft(title, url, kind)


# ---- kb new ----------------------------------------------------------------------------------


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
        values = _split([raw])
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
    if a["evidence"] is None:
        a["evidence"] = typer.prompt(
            "Evidence (independent-evaluation, self-reported, commitments-only, policy-only)",
            default="self-reported",
        )
    if not a["source"]:
        a["source"] = _ask_sources()
    return a


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

    settings = _settings()
    try:
        tax = load_taxonomy(settings.taxonomy_path)
    except TaxonomyError as exc:
        raise _fail(str(exc), 2) from exc
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
    divisions, bad_cpv = parse_cpv(_split(a["cpv"]), tax)
    draft = CaseStudyDraft(
        title=(a["title"] or "").strip(),
        organisation=(a["organisation"] or "").strip(),
        organisation_type=a["organisation_type"] or "",
        regions=_split(a["region"]),
        year_start=a["start"],
        year_end=a["end"],
        summary=a["summary"] or "",
        themes=_split(a["theme"]),
        outcomes=_split(a["outcome"]),
        scope=a["scope"] or "",
        cpv=divisions,
        value_gbp=value,
        stages=_split(a["stage"]),
        evidence=a["evidence"] or "",
        sources=[_parse_source(s) for s in a["source"] or []],
    )
    problems = _new_problems(draft, tax, bad_cpv, slug)
    if problems:
        raise _fail("kb new: " + "\n  ".join(["cannot write the case study:", *problems]), 2)
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
        raise _fail(
            f"kb new: {clash} already exists: not overwriting it. Edit that file, or choose "
            "another name with --slug.",
            1,
        )
    try:
        with path.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(rendered.text)
    except FileExistsError as exc:
        raise _fail(f"kb new: {path} already exists: not overwriting it.", 1) from exc
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


# ---- kb suggest-tags -------------------------------------------------------------------------


def suggest_tags(
    file: Annotated[
        Path, typer.Argument(help="A case-study file; its front matter may be incomplete.")
    ],
    write: Annotated[
        bool, typer.Option("--write", help="Add the confident suggestions to the front matter.")
    ] = False,
    min_confidence: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="What counts as confident for --write.")
    ] = 0.5,
    top: Annotated[int, typer.Option(min=1, max=40, help="How many outcomes to show.")] = 8,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Suggest themes, outcomes and CPV divisions for a draft, with a confidence and reasons."""
    from kb.content.frontmatter import FrontMatterError
    from kb.content.taxonomy import TaxonomyError, load_taxonomy
    from kb.services.tagging import choose, make_suggester, read_draft, write_suggestions

    if format not in ("text", "json"):
        raise _fail(f"unknown format '{format}': use text or json", 2)
    try:
        text = file.read_text(encoding="utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {file}: {exc}", 2) from exc
    settings = _settings()
    try:
        taxonomy = load_taxonomy(settings.taxonomy_path)
    except TaxonomyError as exc:
        raise _fail(str(exc), 2) from exc
    draft = read_draft(text)
    if not (draft.head or draft.sections):
        raise _fail(f"{file}: there is no title, summary or body text to suggest tags from", 1)
    try:
        suggester = make_suggester(settings, taxonomy, exclude_path=file)
        result = suggester.suggest(draft)
    except Exception as exc:
        from search.errors import ModelUnavailable

        if isinstance(exc, ModelUnavailable):
            raise _fail(f"the embedding model is not available: {exc}", 2) from exc
        raise
    chosen = choose(result, taxonomy, min_confidence)
    if format == "json":
        payload = result.to_json()
        payload["confident"] = {
            "themes": chosen.themes,
            "outcomes": chosen.outcomes,
            "cpv": chosen.cpv,
        }
    else:
        _print_suggestions(result, top, min_confidence)
    if write:
        try:
            changed = write_suggestions(file, chosen)
        except (FrontMatterError, ValueError) as exc:
            raise _fail(f"{file}: cannot add tags: {exc}", 1) from exc
        message = (
            "Added to the front matter: "
            + "; ".join(
                f"{name} {', '.join(vals)}"
                for name, vals in (
                    ("themes", chosen.themes),
                    ("outcomes", chosen.outcomes),
                    ("cpv", chosen.cpv),
                )
                if vals
            )
            if changed
            else f"Nothing added: no new suggestion reached confidence {min_confidence:.2f}."
        )
        if format == "json":
            payload["written"] = changed
        else:
            typer.echo("\n" + message + "\nCheck them against the text, then run `kb validate`.")
    if format == "json":
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _print_suggestions(result, top: int, min_confidence: float) -> None:
    def show(title: str, items, limit: int) -> None:
        typer.echo(title)
        if not items:
            typer.echo("  (none)")
        for s in items[:limit]:
            mark = (
                "  [in file]"
                if s.present
                else ("  [confident]" if s.confidence >= min_confidence else "")
            )
            typer.echo(f"  {s.confidence:4.2f}  {s.slug}: {s.label}{mark}")
            for r in s.reasons:
                typer.echo(f"          - {r}")
        typer.echo("")

    show("Themes (confidence, most likely first):", result.themes, 4)
    show("Outcomes:", result.outcomes, top)
    show("CPV divisions the text names:", result.cpv, 5)


# ---- kb check-links --------------------------------------------------------------------------


def check_links(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders; default: all case studies.")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1.0, max=120.0, help="Seconds per request.")] = 10.0,
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Requests at once.")] = 8,
    force: Annotated[
        bool, typer.Option("--force", help="Run even when CI is set (the network may be closed).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List working links too.")
    ] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Check that the sources' URLs still answer (needs the internet; not run in CI)."""
    from kb.content.library import casestudy_files
    from kb.content.validate import expand_paths
    from kb.services.links import check_links as run_checks
    from kb.services.links import format_results, in_ci

    if format not in ("text", "json"):
        raise _fail(f"unknown format '{format}': use text or json", 2)
    if in_ci() and not force:
        typer.echo(
            "kb check-links: skipped, because CI is set. It needs the internet, which CI does not "
            "have. Run it on your own machine, or pass --force to run it anyway.",
            err=True,
        )
        raise typer.Exit(0)
    settings = _settings()
    files = expand_paths(paths) if paths else casestudy_files(settings.content_dir)
    missing = [p for p in files if not p.exists()]
    if missing:
        raise _fail("no such file or folder: " + ", ".join(map(str, missing)), 2)
    results = run_checks(files, timeout=timeout, concurrency=concurrency)
    if format == "json":
        typer.echo(
            json.dumps(
                {"ok": not any(r.failed for r in results), "links": [r.to_json() for r in results]},
                indent=2,
            )
        )
    else:
        typer.echo(format_results(results, verbose=verbose))
    raise typer.Exit(1 if any(r.failed for r in results) else 0)


def register(app: typer.Typer) -> None:
    """Add `new`, `suggest-tags` and `check-links` to the `kb` app."""
    app.command("new")(new)
    app.command("suggest-tags")(suggest_tags)
    app.command("check-links")(check_links)
