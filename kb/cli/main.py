"""The `kb` command: a thin layer over the library functions."""

from __future__ import annotations

import re
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
    duplicates: Annotated[
        bool,
        typer.Option(
            "--duplicates/--no-duplicates",
            help="Warn when a checked file is a near-duplicate of an existing case study.",
        ),
    ] = True,
) -> None:
    """Check case studies and report every problem as path:line:column: message."""
    from kb.content.library import casestudy_files
    from kb.content.taxonomy import TaxonomyError, load_taxonomy
    from kb.content.validate import FORMATTERS, check_files, expand_paths

    if format not in FORMATTERS:
        raise _fail(f"unknown format '{format}': use text, json or github", 2)
    settings = _settings()
    try:
        taxonomy = load_taxonomy(settings.taxonomy_path)
    except TaxonomyError as exc:
        raise _fail(str(exc), 2) from exc
    library = casestudy_files(settings.content_dir)
    plan_dir = settings.content_dir / "plan"
    # The plan's guidance is checked with the whole library, or when a path names it.
    plan_asked = not paths or any(
        p.resolve() == plan_dir.resolve() or plan_dir.resolve() in p.resolve().parents
        for p in paths
    )
    targets = [
        p
        for p in (expand_paths(paths) if paths else library)
        if plan_dir.resolve() not in p.resolve().parents
    ]
    missing = [p for p in (paths or []) if not p.exists()]
    report = check_files([p for p in targets if p not in missing], taxonomy, library=library)
    if plan_asked and plan_dir.exists():
        from kb.content.planguide import FILES, check_plan_guide

        _, plan_problems = check_plan_guide(plan_dir, taxonomy, {p.stem for p in library})
        report.problems.extend(plan_problems)
        report.files_checked += len(FILES)
    for p in missing:
        from kb.content.validate import Problem

        report.problems.insert(
            0, Problem(str(p), 1, 1, "error", "no such file or folder", "unreadable")
        )
        report.files_checked += 1
    if duplicates and paths:
        # Only files given on the command line are compared (the model loads only then), so
        # checking the whole library stays fast.
        from kb.services.duplicates import near_duplicate_warnings

        report.problems.extend(near_duplicate_warnings(report, library, settings))
        report.problems.sort(key=lambda pr: (pr.path, pr.line, pr.column))
    typer.echo(FORMATTERS[format](report))
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def load() -> None:
    """Validate the content and load it into the database (replacing what was there)."""
    from kb.content.library import ContentInvalid, load_library
    from kb.store.db import load_library as load_into_db
    from kb.store.db import make_engine

    settings = _settings()
    try:
        library = load_library(settings.content_dir)
    except ContentInvalid as exc:
        typer.echo(str(exc), err=True)
        raise _fail("content is invalid: the database was left unchanged") from exc
    engine = make_engine(settings.resolved_database_url)
    info = load_into_db(engine, library)
    typer.echo(f"loaded {info.case_studies} case studies into {engine.url.render_as_string()}")


@app.command()
def build(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Validate, load the database and build the search index (atomically, incrementally)."""
    from sqlalchemy.exc import SQLAlchemyError

    from kb.content.library import ContentInvalid
    from kb.content.taxonomy import TaxonomyError
    from kb.services.indexing import build as run_build
    from search.errors import SearchError

    settings = _settings()
    try:
        result = run_build(settings, progress=not quiet and sys.stderr.isatty())
    except ContentInvalid as exc:
        typer.echo(str(exc), err=True)
        raise _fail("content is invalid: the previous index and database keep serving") from exc
    except SearchError as exc:
        raise _fail(f"build failed: {exc}") from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc.__class__.__name__)
        raise _fail(
            f"build failed: the database ({settings.resolved_database_url}) cannot be written: "
            f"{reason}. If it is damaged, delete it (it is rebuilt from the content); the "
            "previous index keeps serving"
        ) from exc
    except TaxonomyError as exc:
        raise _fail(f"build failed: {exc}") from exc
    m = result.manifest
    typer.echo(
        f"built {m.build_id}: {m.counts['documents']} case studies, {m.counts['passages']} passages "
        f"({m.counts['passages_embedded']} embedded, {m.counts['passages_cached']} from cache) "
        f"in {m.build_seconds:.1f} s with {m.model}"
    )


def _open_engine(settings: Settings):
    from search.engine import SearchEngine
    from search.errors import SearchError
    from search.onnx_encoder import query_embedder

    try:
        embedder = query_embedder(settings.model, settings.data_dir, settings.encoder)
        return SearchEngine.open(settings.index_dir, model_name=settings.model, embedder=embedder)
    except SearchError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for; '' lists everything.")],
    theme: Annotated[list[str] | None, typer.Option("--theme", "-t", help="Repeatable.")] = None,
    outcome: Annotated[list[str] | None, typer.Option("--outcome", help="Repeatable.")] = None,
    region: Annotated[str | None, typer.Option("--region", "-r")] = None,
    cpv: Annotated[str | None, typer.Option("--cpv", help="Two-digit CPV division.")] = None,
    mode: Annotated[
        str, typer.Option("--mode", "-m", help="hybrid, keyword or semantic")
    ] = "hybrid",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search the case studies from the command line."""
    import json
    import re

    from search.engine import SearchQuery
    from search.errors import SearchError

    settings = _settings()
    engine = _open_engine(settings)
    filters = {
        "theme": theme or [],
        "outcome": outcome or [],
        "region": [region] if region else [],
        "cpv": [cpv] if cpv else [],
    }
    try:
        res = engine.search(
            SearchQuery(
                text=query,
                mode=mode,
                per_page=limit,
                filters={k: v for k, v in filters.items() if v},
            )
        )
    except SearchError as exc:
        raise _fail(str(exc), 2) from exc
    if as_json:
        typer.echo(json.dumps(res.to_json(), indent=2))
        return
    typer.echo(f"{res.total} case studies ({res.took_ms:.0f} ms, {mode})")
    for i, hit in enumerate(res.hits, 1):
        snippet = re.sub(r"</?mark>", "*", hit.snippet_html)
        import html

        typer.echo(f"{i:2}. {hit.title}  [{hit.id}]  score {hit.score:.3f}")
        typer.echo(f"    {html.unescape(snippet)[:200]}")


@app.command(name="eval")
def evaluate(
    directory: Annotated[Path, typer.Argument(help="A BEIR-format folder.")],
    mode: Annotated[list[str] | None, typer.Option("--mode", "-m", help="Repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    split: Annotated[
        str, typer.Option(help="Which judgements: qrels/<split>.tsv (test, dev).")
    ] = "test",
) -> None:
    """Index a BEIR collection in a temporary folder and report nDCG@10, Recall@100 and MRR@10."""
    import json

    from search.evaluate import MODES, evaluate_beir, is_beir_dir

    modes = mode or list(MODES)
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise _fail(f"unknown mode '{bad[0]}': use {', '.join(MODES)}", 2)
    if not is_beir_dir(directory):
        raise _fail(f"{directory} is not a BEIR folder (corpus, queries.jsonl and qrels)", 2)
    if not re.fullmatch(r"[a-z0-9_-]{1,20}", split) or not (
        (directory / "qrels" / f"{split}.tsv").exists() or (directory / "qrels.tsv").exists()
    ):
        raise _fail(f"{directory} has no qrels/{split[:20]}.tsv", 2)
    from kb.content.library import ContentInvalid
    from kb.services.indexing import eval_corpus

    settings = _settings()
    try:
        corpus = eval_corpus(directory)  # our own judged set: its corpus is the case studies
    except ContentInvalid as exc:
        raise _fail(f"the case studies are invalid:\n{exc}") from exc
    docs, vocab = corpus if corpus else (None, None)
    res = evaluate_beir(
        directory,
        modes,
        model_name=settings.model,
        documents=docs,
        vocabulary=vocab,
        progress=not as_json and sys.stderr.isatty(),
        encoder=settings.encoder,
        split=split,
    )
    meta = res.pop("_meta")
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    typer.echo(
        f"{meta['documents']} documents, {meta['queries']} queries; build {meta['build_seconds']} s"
    )
    typer.echo(f"{'mode':10} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8} {'seconds':>8}")
    for name, m in res.items():
        typer.echo(
            f"{name:10} {m['ndcg@10']:8.4f} {m['recall@100']:8.4f} {m['mrr@10']:8.4f} "
            f"{m['seconds']:8.2f}"
        )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: KB_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: KB_PORT")] = None,
    workers: Annotated[int | None, typer.Option(help="Default: KB_WORKERS")] = None,
    reload: Annotated[
        bool, typer.Option("--reload", help="Rebuild when content/ changes.")
    ] = False,
) -> None:
    """Serve the web app, building the index first if there is none."""
    import uvicorn

    from kb.services.indexing import index_exists

    settings = _settings()
    if not index_exists(settings):
        typer.echo("no search index yet: building it first")
        build(quiet=False)
    if reload:
        from kb.services.watch import start_watcher

        start_watcher(settings, on_build=lambda msg: typer.echo(msg, err=True))
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="info",
        # uvicorn has no header or body read timeout: put a proxy in front (docs/deployment.md);
        # these bound what one process accepts meanwhile.
        timeout_keep_alive=5,
        limit_concurrency=200,
        h11_max_incomplete_event_size=16 * 1024,
        server_header=False,
    )


from kb.cli.contrib import register as _register_contrib  # noqa: E402 - after the core commands

_register_contrib(app)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="kb")


if __name__ == "__main__":  # pragma: no cover
    main()
