"""The `kb` command: a thin layer over the library functions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kb.settings import Settings

app = typer.Typer(
    help="Social Value Knowledge Base: validate, load, index, search and serve case studies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings() -> Settings:
    return Settings()


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders; default: all case studies.")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text, json or github")] = "text",
) -> None:
    """Check case studies and report every problem as path:line:column: message."""
    from kb.content import casestudy_files
    from kb.taxonomy import TaxonomyError, load_taxonomy
    from kb.validate import FORMATTERS, check_files, expand_paths

    if format not in FORMATTERS:
        raise _fail(f"unknown format '{format}': use text, json or github", 2)
    settings = _settings()
    try:
        taxonomy = load_taxonomy(settings.taxonomy_path)
    except TaxonomyError as exc:
        raise _fail(str(exc), 2) from exc
    library = casestudy_files(settings.content_dir)
    targets = expand_paths(paths) if paths else library
    missing = [p for p in (paths or []) if not p.exists()]
    report = check_files([p for p in targets if p not in missing], taxonomy, library=library)
    for p in missing:
        from kb.validate import Problem

        report.problems.insert(
            0, Problem(str(p), 1, 1, "error", "no such file or folder", "unreadable")
        )
        report.files_checked += 1
    typer.echo(FORMATTERS[format](report))
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def load() -> None:
    """Validate the content and load it into the database (replacing what was there)."""
    from kb.content import ContentInvalid, load_library
    from kb.db import load_library as load_into_db
    from kb.db import make_engine

    settings = _settings()
    try:
        library = load_library(settings.content_dir)
    except ContentInvalid as exc:
        typer.echo(str(exc), err=True)
        raise _fail("content is invalid: the database was left unchanged") from exc
    engine = make_engine(settings.resolved_database_url)
    info = load_into_db(engine, library)
    typer.echo(f"loaded {info.case_studies} case studies into {engine.url.render_as_string()}")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="kb")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
