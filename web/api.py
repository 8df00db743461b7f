"""The JSON API at /api/v1."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import ValidationError

from kb.content.render import render_markdown
from kb.content.rules import MAX_VALUE_GBP
from kb.content.taxonomy import Taxonomy
from kb.services.amounts import AmountError, parse_pounds
from kb.services.ocds import OCDSError, from_ocds
from kb.services.plan import make_plan
from kb.services.procurement_form import CPV_CODE
from kb.services.recommend import ProcurementRequest, recommend
from web import schemas
from web.deps import CatalogueDep, EngineDep, PlanGuideDep, SettingsDep, SnapshotDep
from web.errors import NotFound, RequestInvalid
from web.health import health_json
from web.params import MAX_PER_PAGE, BadParams
from web.presenters import case_study_json, hit_json, plan_json, recommendations_json
from web.search_view import as_json, run_search

router = APIRouter(prefix="/api/v1", tags=["api"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorResponse, "description": "Bad parameters"},
    404: {"model": schemas.ErrorResponse, "description": "Not found"},
    413: {"model": schemas.ErrorResponse, "description": "Request body too large"},
    422: {"model": schemas.ErrorResponse, "description": "Invalid request body"},
    503: {"model": schemas.ErrorResponse, "description": "Index or database unavailable"},
}


@router.get(
    "/search",
    summary="Search case studies",
    response_model=schemas.SearchResponse,
    responses=ERRORS,
)
def search(
    request: Request,
    catalogue: CatalogueDep,
    engine: EngineDep,
    q: Annotated[
        str, Query(max_length=500, description="Search text; empty lists everything.")
    ] = "",
    mode: Annotated[
        str,
        Query(
            pattern="^(hybrid|keyword|semantic)$",
            description="hybrid (default), keyword or semantic.",
        ),
    ] = "hybrid",
    sort: Annotated[
        str,
        Query(
            pattern="^(relevance|date)$",
            description="relevance, or date (most recently reviewed first).",
        ),
    ] = "relevance",
    page: Annotated[int, Query(ge=1, le=200, description="Page number, from 1.")] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=MAX_PER_PAGE, description="Results per page (at most 50).")
    ] = 10,
    theme: Annotated[list[str], Query(max_length=20, description="Theme slugs (repeatable).")] = [],  # noqa: B006 - FastAPI query lists
    outcome: Annotated[
        list[str], Query(max_length=20, description="Outcome slugs (repeatable).")
    ] = [],  # noqa: B006
    region: Annotated[
        list[str], Query(max_length=20, description="Region slugs, e.g. north-east (repeatable).")
    ] = [],  # noqa: B006
    organisation_type: Annotated[
        list[str], Query(max_length=20, description="Organisation type slugs (repeatable).")
    ] = [],  # noqa: B006
    cpv: Annotated[
        list[str],
        Query(max_length=20, description="Two-digit CPV divisions, e.g. 45 (repeatable)."),
    ] = [],  # noqa: B006
    stage: Annotated[
        list[str], Query(max_length=20, description="Procurement stage slugs (repeatable).")
    ] = [],  # noqa: B006
    evidence: Annotated[
        list[str], Query(max_length=20, description="Evidence level slugs (repeatable).")
    ] = [],  # noqa: B006
    year_from: Annotated[
        int | None, Query(ge=1990, le=2100, description="Work running in or after this year.")
    ] = None,
    year_to: Annotated[
        int | None, Query(ge=1990, le=2100, description="Work running in or before this year.")
    ] = None,
) -> dict[str, Any]:
    """Hybrid search with filters (OR within a filter, AND across filters) and facet counts."""
    return as_json(run_search(catalogue, engine, list(request.query_params.multi_items())))


@router.get(
    "/case-studies",
    summary="List case studies",
    response_model=schemas.CaseStudyList,
    responses=ERRORS,
)
def list_case_studies(
    catalogue: CatalogueDep,
    page: Annotated[int, Query(ge=1, le=1000, description="Page number, from 1.")] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=100, description="Case studies per page (at most 100).")
    ] = 20,
) -> dict[str, Any]:
    """All case studies, by title."""
    items = sorted(catalogue.case_studies.values(), key=lambda c: c.title.lower())
    start = (page - 1) * per_page
    return {
        "total": len(items),
        "page": page,
        "per_page": per_page,
        "results": [case_study_json(c) for c in items[start : start + per_page]],
    }


@router.get(
    "/case-studies/{slug}",
    summary="Get a case study",
    response_model=schemas.CaseStudyDetail,
    responses=ERRORS,
)
def get_case_study(slug: str, catalogue: CatalogueDep) -> dict[str, Any]:
    """One case study: metadata, its Markdown and the rendered (sanitised) HTML."""
    cs = catalogue.get(slug)
    if cs is None:
        raise NotFound(f"no case study '{slug[:80]}'")
    return {**case_study_json(cs), "markdown": cs.body, "html": render_markdown(cs.body)}


@router.get(
    "/case-studies/{slug}/similar",
    summary="Similar case studies",
    response_model=schemas.SimilarResponse,
    responses=ERRORS,
)
def similar(
    slug: str,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=20, description="How many similar case studies.")] = 5,
) -> dict[str, Any]:
    """The case studies most like this one ("more like this")."""
    from search.errors import DocumentNotFound

    try:
        hits = engine.similar(slug, k=limit)
    except DocumentNotFound as exc:
        raise NotFound(f"no case study '{slug[:80]}'") from exc
    return {"slug": slug, "results": [hit_json(engine, h) for h in hits]}


@router.get("/taxonomy", summary="The controlled vocabulary", responses=ERRORS)
def taxonomy(catalogue: CatalogueDep) -> dict[str, Any]:
    """The controlled vocabulary: themes (with framework mappings), outcomes and other terms."""
    return catalogue.taxonomy.to_dict()


OCDS_KEYS = {"tender", "releases", "records", "compiledRelease", "ocid"}


def procurement_from_body(
    body: dict[str, Any], taxonomy: Taxonomy
) -> tuple[ProcurementRequest, int, str]:
    """Simple fields or an OCDS object -> (request, limit, mode)."""
    if OCDS_KEYS & set(body):
        limit = body.get("limit", 5)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 20:
            raise BadParams("'limit' must be a whole number from 1 to 20")
        try:
            return from_ocds(body, taxonomy), limit, "hybrid"
        except OCDSError as exc:
            raise BadParams(str(exc)) from exc
    fields = schemas.RecommendRequest.model_validate(body)
    if fields.region and fields.region not in taxonomy.regions:
        raise BadParams(f"unknown region '{fields.region}'")
    unknown = [t for t in fields.themes if t not in taxonomy.themes]
    if unknown:
        raise BadParams(f"unknown theme '{unknown[0]}'")
    req = ProcurementRequest(
        fields.title, fields.description, fields.cpv, fields.value, fields.region, fields.themes
    )
    if not (req.text or req.divisions or req.themes):
        raise BadParams("describe the procurement: give a title, description, CPV code or themes")
    return req, fields.limit, fields.mode


@router.post(
    "/recommend",
    summary="Recommend case studies for a procurement",
    response_model=schemas.RecommendResponse,
    responses=ERRORS,
)
def recommend_endpoint(
    snap: SnapshotDep,
    catalogue: CatalogueDep,
    body: Annotated[
        dict[str, Any],
        Body(
            description="Either the simple fields of RecommendRequest, or an OCDS release, "
            "record, release package or tender object (Find a Tender, Contracts Finder).",
            openapi_examples={
                "fields": {
                    "value": {
                        "title": "Housing repairs and maintenance",
                        "cpv": ["50700000"],
                        "region": "north-east",
                        "themes": ["employment"],
                    }
                },
                "ocds": {
                    "value": {
                        "tender": {
                            "title": "Waste collection",
                            "items": [{"classification": {"scheme": "CPV", "id": "90511000"}}],
                        }
                    }
                },
            },
        ),
    ],
) -> dict[str, Any]:
    """Recommend case studies for a procurement, with why, and outcomes to ask for."""
    try:
        req, limit, mode = procurement_from_body(body, catalogue.taxonomy)
    except ValidationError as exc:
        raise RequestInvalid(exc) from exc
    result = recommend(snap.engine, catalogue, req, limit=limit, mode=mode)
    return recommendations_json(result)


def plan_request_from_body(
    body: dict[str, Any], taxonomy: Taxonomy
) -> tuple[ProcurementRequest, str]:
    """Simple fields or an OCDS object (with optional `themes` and `buyer_type`) -> (request, mode)."""
    if OCDS_KEYS & set(body):
        extra = schemas.PlanRequest.model_validate(
            {k: body[k] for k in ("themes", "buyer_type", "mode") if k in body}
        )
        try:
            req = from_ocds(body, taxonomy)
        except OCDSError as exc:
            raise BadParams(str(exc)) from exc
        req.themes, req.buyer_type, mode = extra.themes, extra.buyer_type, extra.mode
    else:
        fields = schemas.PlanRequest.model_validate(body)
        value = fields.value
        if isinstance(value, str):
            try:
                value = parse_pounds(value[:40])
            except AmountError as exc:
                raise BadParams(f"'value': {exc}") from exc
        elif value is not None and not 0 <= value <= MAX_VALUE_GBP:
            raise BadParams(f"'value' must be from 0 to {MAX_VALUE_GBP:,}")
        req = ProcurementRequest(
            title=fields.title,
            description=fields.description,
            cpv=fields.cpv,
            value_gbp=value,
            region=fields.region,
            themes=fields.themes,
            duration_months=fields.duration_months,
            buyer_type=fields.buyer_type,
        )
        mode = fields.mode
    _check_terms(req, taxonomy)
    return req, mode


def _check_terms(req: ProcurementRequest, taxonomy: Taxonomy) -> None:
    if req.region and req.region not in taxonomy.regions:
        raise BadParams(f"unknown region '{req.region[:80]}'")
    if req.buyer_type and req.buyer_type not in taxonomy.organisation_types:
        hint = taxonomy.organisation_types.suggest(req.buyer_type)
        raise BadParams(
            f"unknown buyer_type '{req.buyer_type[:80]}'"
            + (f" (did you mean {', '.join(hint)}?)" if hint else "")
        )
    unknown = [t for t in req.themes if t not in taxonomy.themes]
    if unknown:
        raise BadParams(f"unknown theme '{unknown[0][:80]}'")
    for code in req.cpv:
        if not CPV_CODE.match(code):
            raise BadParams(f"'cpv': '{code[:20]}' is not a CPV code (like 90511000 or 90)")
        if code[:2] not in taxonomy.cpv_divisions:
            raise BadParams(f"'cpv': there is no CPV division {code[:2]} (code {code[:20]})")
    if not (req.text or req.cpv or req.themes):
        raise BadParams("describe the procurement: give a title, description, CPV code or themes")


@router.post(
    "/plan",
    summary="A social value plan for a procurement",
    response_model=schemas.PlanResponse,
    responses=ERRORS,
)
def plan_endpoint(
    snap: SnapshotDep,
    catalogue: CatalogueDep,
    guide: PlanGuideDep,
    body: Annotated[
        dict[str, Any],
        Body(
            description="Either the simple fields of PlanRequest, or an OCDS release, record, "
            "release package or tender object (Find a Tender, Contracts Finder), the same bodies "
            "as /recommend.",
            openapi_examples={
                "fields": {
                    "value": {
                        "title": "Household waste and recycling collection",
                        "cpv": ["90511000"],
                        "value": "£45m",
                        "duration_months": 96,
                        "region": "yorkshire-and-the-humber",
                        "buyer_type": "local-authority",
                        "themes": ["employment", "environment"],
                    }
                },
                "ocds": {
                    "value": {
                        "tender": {
                            "title": "Refuse collection vehicles",
                            "items": [{"classification": {"scheme": "CPV", "id": "34144512"}}],
                            "value": {"amount": 9600000, "currency": "GBP"},
                        },
                        "themes": ["environment"],
                    }
                },
            },
        ),
    ],
) -> dict[str, Any]:
    """Priority outcomes with award questions, measures and what similar buyers required and
    achieved; the rules that apply; the evidence; and how closely the library matches."""
    try:
        req, mode = plan_request_from_body(body, catalogue.taxonomy)
    except ValidationError as exc:
        raise RequestInvalid(exc) from exc
    plan = make_plan(guide, catalogue, snap.engine, req, mode=mode)
    return plan_json(plan, catalogue)


@router.get("/healthz", summary="Service health", response_model=schemas.Health)
def healthz(snap: SnapshotDep, settings: SettingsDep) -> dict[str, Any]:
    """Whether the index and database are loaded, in step and still on disk, with build details."""
    return health_json(snap, settings)
