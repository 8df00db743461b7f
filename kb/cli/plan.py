"""`kb plan`: the social value plan for a procurement, on the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kb.cli.common import fail, load_settings


def plan(
    title: Annotated[str, typer.Option(help="The procurement's title.")] = "",
    description: Annotated[str, typer.Option(help="What is being bought, and why.")] = "",
    cpv: Annotated[
        list[str] | None, typer.Option(help="A CPV code or division (main code first); repeat.")
    ] = None,
    value: Annotated[
        str, typer.Option(help="Estimated value: 250000, £250,000, 2m, 2.5 million.")
    ] = "",
    months: Annotated[str, typer.Option(help="Contract length: 36, or 5 years.")] = "",
    region: Annotated[str, typer.Option(help="A region slug, e.g. scotland.")] = "",
    buyer: Annotated[str, typer.Option(help="A type of buyer, e.g. local-authority.")] = "",
    theme: Annotated[list[str] | None, typer.Option(help="A priority theme slug; repeat.")] = None,
    ocds: Annotated[
        Path | None,
        typer.Option(help="Read the procurement from an OCDS release, record or package (JSON)."),
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="md, docx or json")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (needed for docx).")
    ] = None,
) -> None:
    """Write the social value plan for a procurement (needs `kb build` first)."""
    from kb.content.planguide import PlanGuideInvalid, load_plan_guide
    from kb.services.ocds import OCDSError, from_ocds
    from kb.services.plan import make_plan
    from kb.services.plan_export import plan_docx, plan_markdown
    from kb.services.procurement_form import read_procurement_form
    from kb.store.catalogue import CatalogueUnavailable, load_catalogue
    from kb.store.db import make_engine
    from search.engine import SearchEngine
    from search.errors import SearchError

    if format not in ("md", "docx", "json"):
        raise fail(f"unknown format '{format}': use md, docx or json", 2)
    if format == "docx" and output is None:
        raise fail("a Word file needs --output, e.g. --output plan.docx", 2)
    settings = load_settings()
    try:
        catalogue = load_catalogue(make_engine(settings.resolved_database_url))
    except CatalogueUnavailable as exc:
        raise fail(f"{exc} (run `kb build` first)") from exc
    items = [("title", title), ("description", description), ("cpv", " ".join(cpv or []))]
    items += [("value", value), ("months", months), ("region", region), ("buyer", buyer)]
    items += [("theme", t) for t in theme or []]
    req, _, errors = read_procurement_form(items, catalogue.taxonomy)
    if ocds is not None:
        try:
            req = from_ocds(json.loads(ocds.read_text(encoding="utf-8-sig")), catalogue.taxonomy)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, OCDSError) as exc:
            raise fail(f"{ocds}: cannot read the OCDS: {exc}", 2) from exc
        req.themes = [t for t in theme or [] if t in catalogue.taxonomy.themes]
        req.buyer_type = buyer if buyer in catalogue.taxonomy.organisation_types else None
        errors = [e for e in errors if e[0] in ("themes", "buyer")]
    if errors:
        raise fail("\n".join(f"--{field}: {message}" for field, message in errors), 2)
    try:
        guide = load_plan_guide(settings.content_dir / "plan", catalogue.taxonomy)
    except PlanGuideInvalid as exc:
        raise fail(f"the plan guidance is not valid (run `kb validate`): {exc}") from exc
    try:
        engine = SearchEngine.open(settings.index_dir, model_name=settings.model)
    except SearchError as exc:
        typer.echo(f"note: ranking by fields only ({exc})", err=True)
        engine = None
    result = make_plan(guide, catalogue, engine, req)
    base = settings.site_url.rstrip("/") or "http://127.0.0.1:8000"
    if format == "docx":
        data = plan_docx(result, catalogue, base)
    elif format == "json":
        data = (json.dumps(result.to_json(catalogue), indent=2, ensure_ascii=False) + "\n").encode()
    else:
        data = plan_markdown(result, catalogue, base).encode()
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        typer.echo(f"wrote {output}", err=True)
