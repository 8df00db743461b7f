"""The social value plan: /plan (shareable GET), /plan.md, /plan.docx, and an OCDS import.

GET carries the whole procurement in its query string, so a plan can be bookmarked, shared and
reproduced; POST only imports a pasted or uploaded OCDS release and redirects to that GET.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from kb.services.ocds import OCDSError, from_ocds
from kb.services.plan import Plan, make_plan
from kb.services.plan_export import plan_docx, plan_markdown, plan_query_path, reading_rows
from kb.services.procurement_form import read_procurement_form
from web.deps import CatalogueDep, PlanGuideDep, SnapshotDep
from web.params import BadParams
from web.templating import render, site_base

router = APIRouter(include_in_schema=False)

MAX_OCDS_BYTES = 60 * 1024
_ASKING = ("title", "description", "cpv", "theme", "themes")


def _items(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def _plan_for(
    request: Request, snap: SnapshotDep, catalogue: CatalogueDep, guide: PlanGuideDep
) -> tuple[Plan | None, dict[str, Any], list[tuple[str, str]]]:
    """The plan for the query string, the values to show again and field errors."""
    items = _items(request)
    req, values, errors = read_procurement_form(items, catalogue.taxonomy)
    if not any(k in _ASKING for k, _ in items):
        return None, values, []
    if errors:
        return None, values, errors
    return make_plan(guide, catalogue, snap.engine, req), values, []


def _filename(plan: Plan, ext: str) -> str:
    title = plan.procurement.request.title or "procurement"
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "procurement"
    return f"social-value-plan-{slug}.{ext}"


@router.get("/plan")
def plan_page(
    request: Request, snap: SnapshotDep, catalogue: CatalogueDep, guide: PlanGuideDep
) -> Response:
    plan, values, errors = _plan_for(request, snap, catalogue, guide)
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "plan": plan,
        "site_base": site_base(request),
    }
    if plan is not None:
        context.update(
            reading=reading_rows(plan, catalogue),
            query=plan_query_path(plan.procurement.request).split("?", 1)[1],
        )
    return render(request, "plan.html", context, status=400 if errors else 200)


DOWNLOADS = {
    "md": ("text/markdown; charset=utf-8", plan_markdown),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        plan_docx,
    ),
}


def _download(
    ext: str, request: Request, snap: SnapshotDep, catalogue: CatalogueDep, guide: PlanGuideDep
) -> Response:
    """The plan for the same query string as a file; 400 with the first field error."""
    plan, _, errors = _plan_for(request, snap, catalogue, guide)
    if plan is None:
        raise BadParams(errors[0][1] if errors else "describe the procurement: give a title")
    media_type, write = DOWNLOADS[ext]
    return Response(
        write(plan, catalogue, site_base(request)),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{_filename(plan, ext)}"'},
    )


@router.get("/plan.md")
def plan_md(
    request: Request, snap: SnapshotDep, catalogue: CatalogueDep, guide: PlanGuideDep
) -> Response:
    return _download("md", request, snap, catalogue, guide)


@router.get("/plan.docx")
def plan_word(
    request: Request, snap: SnapshotDep, catalogue: CatalogueDep, guide: PlanGuideDep
) -> Response:
    return _download("docx", request, snap, catalogue, guide)


async def _ocds_text(form: Any) -> str:
    upload = form.get("ocds_file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_OCDS_BYTES + 1)
        if len(raw) > MAX_OCDS_BYTES:
            raise OCDSError(f"the file is over {MAX_OCDS_BYTES // 1024} KB")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise OCDSError("the file is not UTF-8 JSON") from exc
    text = form.get("ocds")
    return text if isinstance(text, str) else ""


@router.post("/plan")
async def plan_import(request: Request, catalogue: CatalogueDep, guide: PlanGuideDep) -> Response:
    """Read a pasted or uploaded Find a Tender / Contracts Finder export into the plan's form."""
    form = await request.form(max_files=1, max_fields=30, max_part_size=MAX_OCDS_BYTES + 1024)
    values: dict[str, Any] = {"themes": [], "ocds": ""}
    try:
        text = (await _ocds_text(form)).strip()
        values["ocds"] = text[:MAX_OCDS_BYTES]
        if not text:
            raise OCDSError("paste an OCDS release or choose a file")
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise OCDSError(
                f"this is not JSON (line {getattr(exc, 'lineno', 1)}): paste the release as exported"
            ) from exc
        req = from_ocds(data, catalogue.taxonomy)
    except OCDSError as exc:
        return render(
            request,
            "plan.html",
            {
                "values": values,
                "errors": [("ocds", f"Could not read the OCDS: {exc}")],
                "plan": None,
            },
            status=400,
        )
    themes = [v for k, v in form.multi_items() if k == "theme" and isinstance(v, str)]
    req.themes = [t for t in themes if t in catalogue.taxonomy.themes]
    buyer = form.get("buyer")
    if isinstance(buyer, str) and buyer in catalogue.taxonomy.organisation_types:
        req.buyer_type = buyer
    return RedirectResponse(plan_query_path(req), status_code=303)
