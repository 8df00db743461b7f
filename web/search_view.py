"""One search, computed once, then shown as an HTML page, a CSV file or JSON.

The page (`/search`), the download (`/search.csv`) and the API (`/api/v1/search`) all call
:func:`run_search`, so they agree on what matched and in which order, as Datasette renders one
query result in several formats.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from kb.content.text import strip_unsafe
from kb.store.catalogue import Catalogue
from search.engine import SearchEngine, SearchResults
from web.params import SearchParams, parse_search_params
from web.presenters import hit_json

#: The CSV holds every result, not one page.
CSV_MAX_ROWS = 1000


@dataclass
class SearchView:
    params: SearchParams
    results: SearchResults
    #: one row per hit, the same shape for every format (see ``presenters.hit_json``)
    rows: list[dict[str, Any]]


def run_search(
    catalogue: Catalogue,
    engine: SearchEngine,
    pairs: list[tuple[str, str]],
    *,
    every_result: bool = False,
    field_errors: dict[str, str] | None = None,
) -> SearchView:
    """Read the query string, run the search and shape its hits (raises BadParams).

    ``field_errors`` collects mistyped years and unknown filter values instead of raising
    (see :func:`web.params.parse_search_params`).
    """
    params = parse_search_params(pairs, catalogue.taxonomy, field_errors=field_errors)
    query = params.to_query()
    if every_result:
        query.page, query.per_page = 1, CSV_MAX_ROWS
    results = engine.search(query)
    return SearchView(params, results, [hit_json(engine, h) for h in results.hits])


def as_json(view: SearchView) -> dict[str, Any]:
    r = view.results
    data = r.to_json()
    return {
        "query": data["query"],
        "total": r.total,
        "page": r.page,
        "per_page": r.per_page,
        "took_ms": data["took_ms"],
        "facets": r.facets,
        "results": view.rows,
    }


def _cell(value: str) -> str:
    # Neutralise spreadsheet formulas in text cells (CSV injection); no control characters.
    value = strip_unsafe(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def as_csv(view: SearchView, catalogue: Catalogue, base_url: str) -> str:
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
    for row in view.rows:
        cs = catalogue.get(row["slug"])
        if cs is None:
            continue
        writer.writerow(
            _cell(c)
            for c in (
                cs.title,
                cs.organisation,
                "; ".join(tax.regions.label(r) for r in cs.regions),
                cs.years_label,
                "; ".join(tax.themes.label(t) for t in cs.themes),
                "; ".join(tax.outcomes.label(o) for o in cs.outcomes),
                tax.evidence_levels.label(cs.evidence),
                cs.summary,
                f"{base_url}/case-studies/{cs.slug}",
            )
        )
    return buf.getvalue()
