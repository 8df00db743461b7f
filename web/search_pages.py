"""The search page and its CSV download (the API's JSON comes from the same search view)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kb.content.taxonomy import Taxonomy
from web.deps import CatalogueDep, EngineDep, SettingsDep
from web.params import FILTER_TITLES, FILTERS, MAX_QUERY_CHARS, BadParams, SearchParams
from web.search_view import as_csv, csv_filename, run_search
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
                    "checked": len(selected),
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


#: Where each field error on the search page is shown (and linked from the error summary).
_ERROR_TARGETS = {"year_from": "#year_from", "year_to": "#year_to", "filters": "#filters"}


@router.get("/search")
def search_page(request: Request, catalogue: CatalogueDep, engine: EngineDep) -> Response:
    pairs = list(request.query_params.multi_items())
    field_errors: dict[str, str] = {}
    try:
        view = run_search(catalogue, engine, pairs, field_errors=field_errors)
    except BadParams as exc:
        typed = (request.query_params.get("q") or "")[:MAX_QUERY_CHARS]
        return render(
            request,
            "search.html",
            {
                "error_list": [{"text": _sentence(str(exc)), "href": "#q"}],
                "field_errors": {},
                "typed": {"q": typed},
                "params": SearchParams(q=typed),
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
            "clear_url": SearchParams(q=params.q, mode=params.mode, sort=params.sort).url(),
            "sort_urls": {
                s: params.url(sort=s if s != "relevance" else None, page=None)
                for s in ("relevance", "date")
            },
            "error_list": [
                {"text": msg, "href": _ERROR_TARGETS[name]} for name, msg in field_errors.items()
            ],
            "field_errors": field_errors,
            # What was typed, shown again as typed (a mistyped year is kept so it can be fixed).
            "typed": {
                name: (request.query_params.get(name) or "")[:10]
                for name in ("year_from", "year_to")
            },
        },
        status=400 if field_errors else 200,
    )


def _sentence(message: str) -> str:
    """A parameter error as the page shows it: a sentence without parameter quoting."""
    message = message.replace("'", "")
    return message[:1].upper() + message[1:]


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
        headers={"Content-Disposition": f'attachment; filename="{csv_filename(view.params)}"'},
    )
