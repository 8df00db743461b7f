"""The "what works for my procurement?" form, its embeddable version and the widget builder."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kb.services.procurement_form import read_procurement_form
from kb.services.recommend import recommend
from web.deps import CatalogueDep, SnapshotDep, get_catalogue
from web.state import Snapshot
from web.templating import render, site_base

router = APIRouter(include_in_schema=False)


def _recommend_page(
    request: Request, snap: Snapshot, items: list[tuple[str, str]], template: str
) -> Response:
    catalogue = get_catalogue(snap)
    submitted = any(k in ("title", "description", "cpv", "themes") for k, _ in items)
    req, values, errors = read_procurement_form(items, catalogue.taxonomy)
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
def widget_builder(request: Request, catalogue: CatalogueDep) -> Response:
    return render(request, "widget.html", {"base_url": site_base(request)})
