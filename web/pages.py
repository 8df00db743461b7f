"""The HTML pages: server-rendered, working without JavaScript."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from kb.content.pages import PageError, load_page
from kb.content.render import render_markdown
from web.deps import CatalogueDep, SettingsDep, SnapshotDep
from web.errors import NotFound
from web.feed import atom_feed
from web.health import health_json
from web.presenters import rules_for_regions
from web.templating import render, site_base

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


@router.get("/")
def home(request: Request, catalogue: CatalogueDep) -> Response:
    return render(
        request,
        "home.html",
        {
            "theme_counts": catalogue.theme_counts(),
            "recent": catalogue.newest(6),
            "total": len(catalogue.case_studies),
        },
    )


@router.get("/case-studies")
def case_studies_index() -> Response:
    return RedirectResponse("/search", status_code=308)


@router.get("/case-studies/{slug}")
def case_study_page(
    slug: str, request: Request, snap: SnapshotDep, catalogue: CatalogueDep, settings: SettingsDep
) -> Response:
    cs = catalogue.get(slug)
    if cs is None and catalogue.get(slug.lower()) is not None:
        return RedirectResponse(f"/case-studies/{slug.lower()}", status_code=301)
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
            "rules": rules_for_regions(cs.regions),
            "body_html": render_markdown(cs.body),
            "similar": [s for s in similar if s is not None],
            "edit_url": f"{repo}/edit/{settings.repository_branch}/content/casestudies/{cs.slug}.md",
        },
    )


@router.get("/themes")
def themes_page(request: Request, catalogue: CatalogueDep) -> Response:
    return render(request, "themes.html", {"theme_counts": catalogue.theme_counts()})


@router.get("/themes/{slug}")
def theme_page(slug: str, request: Request, catalogue: CatalogueDep) -> Response:
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
def outcome_page(slug: str, request: Request, catalogue: CatalogueDep) -> Response:
    term = catalogue.taxonomy.outcomes.terms.get(slug)
    if term is None:
        raise NotFound(f"there is no outcome called '{slug[:80]}'")
    return render(
        request, "outcome.html", {"term": term, "case_studies": catalogue.with_tag("outcome", slug)}
    )


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


@router.get("/policy")
def policy(request: Request, snap: SnapshotDep, settings: SettingsDep) -> Response:
    """The law and policy on social value, from content/pages/policy.md."""
    try:
        page = load_page(settings.content_dir / "pages" / "policy.md")
    except (OSError, PageError) as exc:
        log.warning("policy page unavailable: %s", exc)
        raise NotFound("the law and policy page is not available") from exc
    return render(request, "policy.html", {"page": page})


@router.get("/about")
def about(request: Request, snap: SnapshotDep) -> Response:
    return render(request, "about.html", {})


@router.get("/accessibility")
def accessibility(request: Request, snap: SnapshotDep) -> Response:
    return render(request, "accessibility.html", {})


@router.get("/updates")
def updates(request: Request, catalogue: CatalogueDep) -> Response:
    """The Atom feed as a page people can read, with how to follow it (a raw feed is XML)."""
    return render(
        request,
        "updates.html",
        {"recent": catalogue.newest(20), "feed_url": f"{site_base(request)}/feed.atom"},
    )


@router.get("/feed.atom")
def feed(request: Request, catalogue: CatalogueDep, settings: SettingsDep) -> Response:
    base = site_base(request)
    return Response(atom_feed(catalogue, base), media_type="application/atom+xml; charset=utf-8")


@router.get("/healthz")
def healthz(snap: SnapshotDep, settings: SettingsDep) -> Response:
    from fastapi.responses import JSONResponse

    return JSONResponse(health_json(snap, settings))


@router.get("/livez")
def livez() -> Response:
    """Liveness: the process answers (for a container's restart policy)."""
    return PlainTextResponse("ok\n")


@router.get("/readyz")
def readyz(snap: SnapshotDep, settings: SettingsDep) -> Response:
    """Readiness: 200 only when search and case studies can be served from files still on disk."""
    from fastapi.responses import JSONResponse

    health = health_json(snap, settings)
    return JSONResponse(
        {"ready": health["ready"], "problems": health["problems"]},
        status_code=200 if health["ready"] else 503,
    )


@functools.cache
def _script(name: str) -> bytes:
    return (Path(__file__).parent / "static" / name).read_bytes()


def _cross_origin_script(name: str) -> Response:
    return Response(
        _script(name),
        media_type="text/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=3600",
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/widget.js")
def widget_js() -> Response:
    """The tender-template widget, loadable from any origin."""
    return _cross_origin_script("widget.js")


@router.get("/embed-resize.js")
def embed_resize_js() -> Response:
    """For pages that frame /embed/recommend: fits the frame to its content."""
    return _cross_origin_script("embed-resize.js")


@router.get("/robots.txt")
def robots() -> Response:
    return PlainTextResponse("User-agent: *\nDisallow: /search\nDisallow: /embed/\n")
