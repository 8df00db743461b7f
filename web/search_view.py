"""One search, computed once, then shown as an HTML page, a CSV file or JSON.

The page (`/search`), the download (`/search.csv`) and the API (`/api/v1/search`) all call
:func:`run_search`, so they agree on what matched and in which order, as Datasette renders one
query result in several formats.
"""

from __future__ import annotations

import csv
import io
import re
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
        "close_total": r.close_total,
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


#: Excel reads a CSV without a byte-order mark as Windows-1252 ("Â£50,000"); with one, as UTF-8.
CSV_BOM = "\ufeff"


def as_csv(view: SearchView, catalogue: Catalogue, base_url: str) -> str:
    """Every result, one row each, with the procurement facts an officer compares in a sheet."""
    tax = catalogue.taxonomy
    buf = io.StringIO()
    buf.write(CSV_BOM)
    writer = csv.writer(buf)
    writer.writerow(
        [
            "title",
            "organisation",
            "organisation_type",
            "region",
            "year_start",
            "year_end",
            "themes",
            "outcomes",
            "evidence",
            "cpv_divisions",
            "value_gbp",
            "summary",
            "first_source_url",
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
                tax.organisation_types.label(cs.organisation_type),
                "; ".join(tax.regions.label(r) for r in cs.regions),
                str(cs.year_start),
                "" if cs.year_end is None else str(cs.year_end),
                "; ".join(tax.themes.label(t) for t in cs.themes),
                "; ".join(tax.outcomes.label(o) for o in cs.outcomes),
                tax.evidence_levels.label(cs.evidence),
                "; ".join(f"{c} {tax.cpv_divisions.label(c)}" for c in cs.cpv),
                "" if cs.value_gbp is None else str(cs.value_gbp),
                cs.summary,
                cs.sources[0].url if cs.sources else "",
                f"{base_url}/case-studies/{cs.slug}",
            )
        )
    return buf.getvalue()


def csv_filename(params: SearchParams) -> str:
    """A file name that says what was searched for, e.g. ``case-studies-real-living-wage.csv``."""
    words = re.sub(r"[^a-z0-9]+", "-", params.q.lower()).strip("-")[:60].rstrip("-")
    return f"case-studies-{words}.csv" if words else "case-studies.csv"
