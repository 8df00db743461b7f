"""`kb check-links`: check that the case studies' source links still answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kb.cli.common import fail, load_settings


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
        raise fail(f"unknown format '{format}': use text or json", 2)
    if in_ci() and not force:
        typer.echo(
            "kb check-links: skipped, because CI is set. It needs the internet, which CI does not "
            "have. Run it on your own machine, or pass --force to run it anyway.",
            err=True,
        )
        raise typer.Exit(0)
    settings = load_settings()
    files = expand_paths(paths) if paths else casestudy_files(settings.content_dir)
    missing = [p for p in files if not p.exists()]
    if missing:
        raise fail("no such file or folder: " + ", ".join(map(str, missing)), 2)
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
