"""The search page and its CSV download (the API's JSON comes from the same search view)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kb.content.taxonomy import Taxonomy
from web.deps import CatalogueDep, EngineDep, SettingsDep
from web.params import FILTER_TITLES, FILTERS, BadParams, SearchParams
from web.search_view import as_csv, run_search
from web.templating import render, site_base

router = APIRouter(include_in_schema=False)


def _facet_groups(
    params: SearchParams, facets: dict[str, dict[str, int]], taxonomy: Taxonomy
) -> list[dict[str, Any]]:
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


def _selected(params: SearchParams, taxonomy: Taxonomy) -> list[dict[str, Any]]:
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


def _pagination(params: SearchParams, total: int) -> dict[str, Any] | None:
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
def search_page(request: Request, catalogue: CatalogueDep, engine: EngineDep) -> Response:
    try:
        view = run_search(catalogue, engine, list(request.query_params.multi_items()))
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
    params, results = view.params, view.results
    suggestions = []
    if results.total == 0 and (params.q or params.filters):
        suggestions = list(catalogue.taxonomy.themes)[:8]
    return render(
        request,
        "search.html",
        {
            "params": params,
            "results": results,
            "hits": view.rows,
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
def search_csv(
    request: Request, catalogue: CatalogueDep, engine: EngineDep, settings: SettingsDep
) -> Response:
    """Every result of a search (not just one page), as CSV."""
    view = run_search(
        catalogue, engine, list(request.query_params.multi_items()), every_result=True
    )
    base = site_base(request)
    return Response(
        as_csv(view, catalogue, base),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="case-studies.csv"'},
    )
