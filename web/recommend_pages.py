"""The "what works for my procurement?" form, its embeddable version and the widget builder."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kb.content.taxonomy import Taxonomy
from kb.services.ocds import MAX_VALUE_GBP
from kb.services.recommend import ProcurementRequest, recommend
from web.deps import CatalogueDep, SnapshotDep, get_catalogue
from web.state import Snapshot
from web.templating import render, site_base

router = APIRouter(include_in_schema=False)


def _pounds(text: str, errors: list[tuple[str, str]]) -> int | None:
    """An estimated value typed as "250000", "£250,000"...; None when left blank."""
    if not text:
        return None
    try:
        value = int(float(text.replace(",", "").replace("£", "")))
        if not 0 <= value <= MAX_VALUE_GBP:
            raise ValueError
        return value
    except (ValueError, OverflowError):  # "abc", "nan"; "inf", "1e400"
        errors.append(("value", "Estimated value must be an amount in pounds, like 250000"))
        return None


def _form_request(
    items: list[tuple[str, str]], taxonomy: Taxonomy
) -> tuple[ProcurementRequest, dict[str, Any], list[tuple[str, str]]]:
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
    value = _pounds(values["value"], errors)
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
    request: Request, snap: Snapshot, items: list[tuple[str, str]], template: str
) -> Response:
    catalogue = get_catalogue(snap)
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
def widget_builder(request: Request, catalogue: CatalogueDep) -> Response:
    return render(request, "widget.html", {"base_url": site_base(request)})
