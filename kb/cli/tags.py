"""`kb suggest-tags`: propose themes, outcomes and CPV divisions for a draft."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kb.cli.common import fail, load_settings
from kb.content.files import read_limited
from kb.content.taxonomy import TaxonomyError, load_taxonomy


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
    from kb.services.tagging import choose, make_suggester, read_draft, write_suggestions

    if format not in ("text", "json"):
        raise fail(f"unknown format '{format}': use text or json", 2)
    try:
        text = read_limited(file).decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}", 2) from exc
    settings = load_settings()
    try:
        taxonomy = load_taxonomy(settings.taxonomy_path)
    except TaxonomyError as exc:
        raise fail(str(exc), 2) from exc
    draft = read_draft(text)
    if not (draft.head or draft.sections):
        raise fail(f"{file}: there is no title, summary or body text to suggest tags from", 1)
    try:
        suggester = make_suggester(settings, taxonomy, exclude_path=file)
        result = suggester.suggest(draft)
    except Exception as exc:
        from search.errors import ModelUnavailable

        if isinstance(exc, ModelUnavailable):
            raise fail(f"the embedding model is not available: {exc}", 2) from exc
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
            raise fail(f"{file}: cannot add tags: {exc}", 1) from exc
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
