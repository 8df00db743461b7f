"""The HTML pages: server-rendered, working without JavaScript."""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from kb.content.render import render_markdown
from kb.services.recommend import ProcurementRequest, recommend
from web.api import NotFound, health_json
from web.deps import SettingsDep, SnapshotDep, require_catalogue, require_engine
from web.feed import atom_feed
from web.params import FILTER_TITLES, FILTERS, BadParams, SearchParams, parse_search_params
from web.presenters import hit_json

router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    snap = getattr(request.state, "snapshot", None)
    base = {
        "settings": request.app.state.kb.settings,
        "taxonomy": snap.catalogue.taxonomy if snap and snap.catalogue else None,
        "problems": snap.problems if snap else [],
        "path": request.url.path,
    }
    return request.app.state.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status
    )


@router.get("/")
def home(request: Request, snap: SnapshotDep) -> Response:
    catalogue = require_catalogue(snap)
    return render(
        request,
        "home.html",
        {
            "theme_counts": catalogue.theme_counts(),
            "recent": catalogue.newest(6),
            "total": len(catalogue.case_studies),
        },
    )


def _facet_groups(params: SearchParams, facets: dict[str, dict[str, int]], taxonomy) -> list[dict]:
    groups = []
    for name, (facet, vocab_name) in FILTERS.items():
        counts = facets.get(facet, {})
        vocab = taxonomy.vocab(vocab_name)
        selected = set(params.filters.get(name, []))
        options = []
        for term in vocab:
            n = counts.get(term.slug, 0)
            if n or term.slug in selected:
                label = f"{term.slug} {term.label}" if name == "cpv" else term.label
                options.append(
                    {
                        "value": term.slug,
                        "label": label,
                        "count": n,
                        "checked": term.slug in selected,
                    }
                )
        if options:
            groups.append(
                {
                    "name": name,
                    "title": FILTER_TITLES[name],
                    "options": options,
                    "open": bool(selected),
                }
            )
    return groups


def _selected(params: SearchParams, taxonomy) -> list[dict]:
    out = []
    for name, values in params.filters.items():
        vocab = taxonomy.vocab(FILTERS[name][1])
        for v in values:
            out.append(
                {
                    "title": FILTER_TITLES[name],
                    "label": vocab.label(v),
                    "remove_url": params.without(name, v),
                }
            )
    if params.year_from or params.year_to:
        label = f"{params.year_from or '…'} to {params.year_to or '…'}"
        out.append(
            {
                "title": "Years",
                "label": label,
                "remove_url": params.url(year_from=None, year_to=None, page=None),
            }
        )
    return out


def _pagination(params: SearchParams, total: int) -> dict | None:
    pages = max(1, -(-total // params.per_page))
    if pages <= 1:
        return None
    items = []
    for n in range(1, pages + 1):
        if n in (1, pages) or abs(n - params.page) <= 2:
            items.append({"number": n, "href": params.url(page=n), "current": n == params.page})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {
        "items": items,
        "previous": params.url(page=params.page - 1) if params.page > 1 else None,
        "next": params.url(page=params.page + 1) if params.page < pages else None,
    }


@router.get("/search")
def search_page(request: Request, snap: SnapshotDep) -> Response:
    catalogue = require_catalogue(snap)
    engine = require_engine(snap)
    try:
        params = parse_search_params(list(request.query_params.multi_items()), catalogue.taxonomy)
    except BadParams as exc:
        return render(
            request,
            "search.html",
            {
                "error": str(exc),
                "params": SearchParams(),
                "results": None,
                "hits": [],
                "groups": [],
                "selected": [],
                "pagination": None,
            },
            status=400,
        )
    results = engine.search(params.to_query())
    hits = [hit_json(engine, h) for h in results.hits]
    suggestions = []
    if results.total == 0 and (params.q or params.filters):
        suggestions = [t for t in catalogue.taxonomy.themes][:8]
    return render(
        request,
        "search.html",
        {
            "params": params,
            "results": results,
            "hits": hits,
            "groups": _facet_groups(params, results.facets, catalogue.taxonomy),
            "selected": _selected(params, catalogue.taxonomy),
            "pagination": _pagination(params, results.total),
            "suggestions": suggestions,
            "csv_url": params.url("/search.csv", page=None),
            "sort_urls": {
                s: params.url(sort=s if s != "relevance" else None, page=None)
                for s in ("relevance", "date")
            },
            "error": None,
        },
    )


@router.get("/search.csv")
def search_csv(request: Request, snap: SnapshotDep) -> Response:
    """Every result of a search (not just one page), as CSV."""
    catalogue = require_catalogue(snap)
    engine = require_engine(snap)
    params = parse_search_params(list(request.query_params.multi_items()), catalogue.taxonomy)
    query = params.to_query()
    query.page, query.per_page = 1, 1000
    results = engine.search(query)
    tax = catalogue.taxonomy
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "title",
            "organisation",
            "region",
            "years",
            "themes",
            "outcomes",
            "evidence",
            "summary",
            "url",
        ]
    )
    base = str(request.base_url).rstrip("/")
    for h in results.hits:
        cs = catalogue.get(h.id)
        if cs is None:
            continue
        row = [
            cs.title,
            cs.organisation,
            "; ".join(tax.regions.label(r) for r in cs.regions),
            cs.years_label,
            "; ".join(tax.themes.label(t) for t in cs.themes),
            "; ".join(tax.outcomes.label(o) for o in cs.outcomes),
            tax.evidence_levels.label(cs.evidence),
            cs.summary,
            f"{base}/case-studies/{cs.slug}",
        ]
        # Neutralise spreadsheet formulas in text cells (CSV injection).
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in row])
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="case-studies.csv"'},
    )


@router.get("/case-studies")
def case_studies_index() -> Response:
    return RedirectResponse("/search", status_code=308)


@router.get("/case-studies/{slug}")
def case_study_page(
    slug: str, request: Request, snap: SnapshotDep, settings: SettingsDep
) -> Response:
    catalogue = require_catalogue(snap)
    cs = catalogue.get(slug)
    if cs is None:
        raise NotFound(f"there is no case study called '{slug[:80]}'")
    similar = []
    if snap.engine is not None:
        from search.errors import SearchError

        try:
            similar = [catalogue.get(h.id) for h in snap.engine.similar(slug, k=4)]
        except SearchError:
            similar = []
    repo = settings.repository_url.rstrip("/")
    return render(
        request,
        "case_study.html",
        {
            "cs": cs,
            "body_html": render_markdown(cs.body),
            "similar": [s for s in similar if s is not None],
            "edit_url": f"{repo}/edit/{settings.repository_branch}/content/casestudies/{cs.slug}.md",
        },
    )


@router.get("/themes")
def themes_page(request: Request, snap: SnapshotDep) -> Response:
    catalogue = require_catalogue(snap)
    return render(request, "themes.html", {"theme_counts": catalogue.theme_counts()})


@router.get("/themes/{slug}")
def theme_page(slug: str, request: Request, snap: SnapshotDep) -> Response:
    catalogue = require_catalogue(snap)
    term = catalogue.taxonomy.themes.terms.get(slug)
    if term is None:
        raise NotFound(f"there is no theme called '{slug[:80]}'")
    return render(
        request,
        "theme.html",
        {
            "term": term,
            "outcomes": catalogue.taxonomy.outcomes_for_theme(slug),
            "case_studies": catalogue.with_tag("theme", slug),
        },
    )


@router.get("/outcomes/{slug}")
def outcome_page(slug: str, request: Request, snap: SnapshotDep) -> Response:
    catalogue = require_catalogue(snap)
    term = catalogue.taxonomy.outcomes.terms.get(slug)
    if term is None:
        raise NotFound(f"there is no outcome called '{slug[:80]}'")
    return render(
        request, "outcome.html", {"term": term, "case_studies": catalogue.with_tag("outcome", slug)}
    )


def _form_request(items: list[tuple[str, str]], taxonomy) -> tuple[ProcurementRequest, dict, list]:
    """Read the recommend form; returns the request, the values to redisplay and field errors."""
    values: dict[str, Any] = {
        "title": "",
        "description": "",
        "cpv": "",
        "value": "",
        "region": "",
        "themes": [],
    }
    for k, v in items:
        if k == "themes":
            values["themes"].append(v)
        elif k in values:
            values[k] = v.strip()
    errors = []
    if len(values["title"]) > 300:
        errors.append(("title", "Title must be 300 characters or fewer"))
    if len(values["description"]) > 5000:
        errors.append(("description", "Description must be 5,000 characters or fewer"))
    cpv = [c for c in values["cpv"].replace(",", " ").split() if c]
    if any(not c.replace("-", "").isdigit() or len(c.split("-")[0]) not in (2, 8) for c in cpv):
        errors.append(("cpv", "Enter CPV codes like 90511000 or divisions like 90"))
    value = None
    if values["value"]:
        try:
            value = int(float(values["value"].replace(",", "").replace("£", "")))
            if value < 0:
                raise ValueError
        except ValueError:
            errors.append(("value", "Estimated value must be an amount in pounds, like 250000"))
    if values["region"] and values["region"] not in taxonomy.regions:
        errors.append(("region", "Choose a region from the list"))
    themes = [t for t in values["themes"] if t in taxonomy.themes]
    req = ProcurementRequest(
        values["title"][:300],
        values["description"][:5000],
        cpv[:20],
        value,
        values["region"] or None,
        themes,
    )
    if not errors and not (req.text or req.divisions or req.themes):
        errors.append(
            (
                "description",
                "Describe the procurement: give a title, a description, "
                "a category or the themes you prioritise",
            )
        )
    return req, values, errors


def _recommend_page(
    request: Request, snap, items: list[tuple[str, str]], template: str
) -> Response:
    catalogue = require_catalogue(snap)
    submitted = any(k in ("title", "description", "cpv", "themes") for k, _ in items)
    req, values, errors = _form_request(items, catalogue.taxonomy)
    result = None
    if submitted and not errors:
        limit = 5
        for k, v in items:
            if k == "limit" and v.isdigit():
                limit = max(1, min(int(v), 10))
        result = recommend(snap.engine, catalogue, req, limit=limit)
    return render(
        request,
        template,
        {
            "values": values,
            "errors": errors if submitted else [],
            "result": result,
            "submitted": submitted,
        },
        status=400 if submitted and errors else 200,
    )


@router.get("/recommend")
def recommend_get(request: Request, snap: SnapshotDep) -> Response:
    return _recommend_page(
        request, snap, list(request.query_params.multi_items()), "recommend.html"
    )


@router.post("/recommend")
async def recommend_post(request: Request, snap: SnapshotDep) -> Response:
    form = await request.form(max_files=0, max_fields=50, max_part_size=8 * 1024)
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return _recommend_page(request, snap, items, "recommend.html")


@router.get("/embed/recommend")
def embed_recommend(request: Request, snap: SnapshotDep) -> Response:
    """Recommendations for a tender, for portals that allow iframes but not scripts."""
    return _recommend_page(request, snap, list(request.query_params.multi_items()), "embed.html")


@router.get("/widget")
def widget_builder(request: Request, snap: SnapshotDep) -> Response:
    require_catalogue(snap)
    return render(request, "widget.html", {"base_url": str(request.base_url).rstrip("/")})


@router.get("/docs")
def api_docs(request: Request, snap: SnapshotDep) -> Response:
    """A readable reference of the JSON API, generated from its OpenAPI schema."""
    schema = request.app.openapi()
    endpoints = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description", ""),
                    "type": p.get("schema", {}).get("type") or "array/string",
                }
                for p in op.get("parameters", [])
            ]
            endpoints.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "has_body": "requestBody" in op,
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return render(
        request, "docs.html", {"endpoints": endpoints, "version": schema["info"]["version"]}
    )


@router.get("/about")
def about(request: Request, snap: SnapshotDep) -> Response:
    return render(request, "about.html", {})


@router.get("/accessibility")
def accessibility(request: Request, snap: SnapshotDep) -> Response:
    return render(request, "accessibility.html", {})


@router.get("/feed.atom")
def feed(request: Request, snap: SnapshotDep, settings: SettingsDep) -> Response:
    catalogue = require_catalogue(snap)
    base = settings.site_url.rstrip("/") or str(request.base_url).rstrip("/")
    return Response(atom_feed(catalogue, base), media_type="application/atom+xml; charset=utf-8")


@router.get("/healthz")
def healthz(snap: SnapshotDep) -> Response:
    from fastapi.responses import JSONResponse

    return JSONResponse(health_json(snap))


@functools.cache
def _widget_script() -> bytes:
    return (Path(__file__).parent / "static" / "widget.js").read_bytes()


@router.get("/widget.js")
def widget_js() -> Response:
    """The tender-template widget, loadable from any origin."""
    return Response(
        _widget_script(),
        media_type="text/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=3600",
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/robots.txt")
def robots() -> Response:
    return PlainTextResponse("User-agent: *\nDisallow: /search\nDisallow: /embed/\n")
