"""The old "what works for my procurement?" form (now the plan's), the embeddable plan summary
and the widget builder.

`/recommend` answered with a list of case studies; the social value plan (`/plan`) answers the
same question with what to write into the tender, so the form's addresses forward to it with the
same fields. The JSON `/api/v1/recommend` is unchanged.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kb.services.plan import make_plan
from kb.services.plan_export import plan_query_path
from kb.services.procurement_form import read_procurement_form
from web.deps import CatalogueDep, PlanGuideDep, SnapshotDep
from web.templating import render, site_base

router = APIRouter(include_in_schema=False)

_KEPT = ("title", "description", "cpv", "value", "months", "region", "buyer", "theme", "themes")


def _forward(items: list[tuple[str, str]]) -> str:
    kept = [("theme" if k == "themes" else k, v) for k, v in items if k in _KEPT and v]
    return "/plan" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/recommend")
def recommend_get(request: Request) -> Response:
    """The plan's form, with the same fields (bookmarks of the old page keep working)."""
    return RedirectResponse(_forward(list(request.query_params.multi_items())), status_code=307)


@router.post("/recommend")
async def recommend_post(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=50, max_part_size=8 * 1024)
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return RedirectResponse(_forward(items), status_code=303)


@router.get("/embed/recommend")
def embed_recommend(
    request: Request, snap: SnapshotDep, catalogue: CatalogueDep, guide: PlanGuideDep
) -> Response:
    """The top of the plan for a tender, for portals that allow iframes but not scripts."""
    items = list(request.query_params.multi_items())
    submitted = any(k in ("title", "description", "cpv", "themes", "theme") for k, _ in items)
    req, values, errors = read_procurement_form(items, catalogue.taxonomy)
    limit = 3
    for k, v in items:
        if k == "limit" and v.isdigit():
            limit = max(1, min(int(v), 5))
    plan = None
    if submitted and not errors:
        plan = make_plan(guide, catalogue, snap.engine, req, case_studies=limit)
    return render(
        request,
        "embed.html",
        {
            "values": values,
            "errors": errors if submitted else [],
            "plan": plan,
            "limit": limit,
            "plan_url": site_base(request) + plan_query_path(req),
        },
        status=400 if submitted and errors else 200,
    )


@router.get("/widget")
def widget_builder(request: Request, catalogue: CatalogueDep) -> Response:
    return render(request, "widget.html", {"base_url": site_base(request)})
