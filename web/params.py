"""Parse and bound search parameters, shared by the HTML pages, the JSON API and CSV export."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from kb.content.taxonomy import Taxonomy
from kb.content.text import strip_unsafe

MAX_QUERY_CHARS = 500
MAX_PER_PAGE = 50
MAX_PAGE = 200
MAX_FILTER_VALUES = 20
MODES = ("hybrid", "keyword", "semantic")
SORTS = ("relevance", "date")

# URL parameter -> (search facet, taxonomy vocabulary)
FILTERS = {
    "theme": ("theme", "themes"),
    "outcome": ("outcome", "outcomes"),
    "region": ("region", "regions"),
    "organisation_type": ("organisation_type", "organisation_types"),
    "cpv": ("cpv", "cpv_divisions"),
    "stage": ("stage", "procurement_stages"),
    "evidence": ("evidence", "evidence_levels"),
}
FILTER_TITLES = {
    "theme": "Theme",
    "outcome": "Outcome",
    "region": "Region",
    "organisation_type": "Organisation type",
    "cpv": "Procurement category",
    "stage": "Procurement stage",
    "evidence": "Evidence",
}


class BadParams(ValueError):
    """A parameter is out of range or unknown; the message says which and why."""


@dataclass
class SearchParams:
    q: str = ""
    mode: str = "hybrid"
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None

    def to_query(self):
        from search.engine import SearchQuery

        return SearchQuery(
            text=self.q,
            mode=self.mode,
            filters={k: v for k, v in self.filters.items() if v},
            year_from=self.year_from,
            year_to=self.year_to,
            page=self.page,
            per_page=self.per_page,
            sort=self.sort,
        )

    def pairs(self, **overrides: object) -> list[tuple[str, str]]:
        """URL parameters for this search, with changes (None removes a parameter)."""
        values: dict[str, object] = {
            "q": self.q,
            "mode": self.mode if self.mode != "hybrid" else None,
            "sort": self.sort if self.sort != "relevance" else None,
            "year_from": self.year_from,
            "year_to": self.year_to,
            "page": self.page if self.page > 1 else None,
        }
        values.update(overrides)
        out = [(k, str(v)) for k, v in values.items() if v not in (None, "")]
        for name, vals in self.filters.items():
            out.extend((name, v) for v in vals)
        return out

    def url(self, path: str = "/search", **overrides: object) -> str:
        return f"{path}?{urlencode(self.pairs(**overrides))}"

    def without(self, name: str, value: str, path: str = "/search") -> str:
        """The URL of this search with one filter value removed (and back to page 1)."""
        kept = {
            k: [v for v in vs if not (k == name and v == value)] for k, vs in self.filters.items()
        }
        return SearchParams(
            self.q, self.mode, self.sort, 1, self.per_page, kept, self.year_from, self.year_to
        ).url(path)

    def with_filter(self, name: str, value: str, path: str = "/search") -> str:
        filters = {k: list(v) for k, v in self.filters.items()}
        if value not in filters.setdefault(name, []):
            filters[name].append(value)
        return SearchParams(
            self.q, self.mode, self.sort, 1, self.per_page, filters, self.year_from, self.year_to
        ).url(path)


def _int(name: str, raw: str | None, lo: int, hi: int) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadParams(f"'{name}' must be a whole number, not {raw[:20]!r}") from exc
    if not lo <= value <= hi:
        raise BadParams(f"'{name}' must be between {lo} and {hi}")
    return value


#: Plain-English names of the fields a visitor types into on the search page.
YEAR_LABELS = {"year_from": "From year", "year_to": "To year"}


def parse_search_params(
    params: list[tuple[str, str]],
    taxonomy: Taxonomy | None,
    *,
    default_per_page: int = 10,
    field_errors: dict[str, str] | None = None,
) -> SearchParams:
    """Read search parameters from a query string; unknown filter values are refused.

    With ``field_errors`` (the HTML page), a mistyped year or an unknown filter value does not
    refuse the whole search: it is left out, its message is recorded against the field it
    belongs to, and the rest of the search still runs, so a typo never loses the query.
    """
    single, filters = _split_params(params)
    q = strip_unsafe(single.get("q", "")).strip()
    if len(q) > MAX_QUERY_CHARS:
        raise BadParams(f"the search text is {len(q)} characters; the limit is {MAX_QUERY_CHARS}")
    mode = _choice("mode", single.get("mode") or "hybrid", MODES)
    sort = _choice("sort", single.get("sort") or "relevance", SORTS)
    page = _int("page", single.get("page"), 1, MAX_PAGE) or 1
    per_page = _int("per_page", single.get("per_page"), 1, MAX_PER_PAGE) or default_per_page
    if field_errors is None:
        year_from = _int("year_from", single.get("year_from"), 1990, 2100)
        year_to = _int("year_to", single.get("year_to"), 1990, 2100)
        if year_from and year_to and year_from > year_to:
            raise BadParams("'year_from' must not be after 'year_to'")
        if taxonomy is not None:
            _check_filter_values(filters, taxonomy)
    else:
        year_from = _year_or_error("year_from", single.get("year_from"), field_errors)
        year_to = _year_or_error("year_to", single.get("year_to"), field_errors)
        if year_from and year_to and year_from > year_to:
            field_errors["year_to"] = "To year must be the same as or after the from year"
            year_to = None
        if taxonomy is not None:
            filters = _drop_unknown_values(filters, taxonomy, field_errors)
    return SearchParams(q, mode, sort, page, per_page, filters, year_from, year_to)


def _year_or_error(name: str, raw: str | None, errors: dict[str, str]) -> int | None:
    """A year typed on the page, or None with a message for that field."""
    text = (raw or "").strip()
    if not text:
        return None
    label = YEAR_LABELS[name]
    if not text.isdigit() or len(text) != 4:
        errors[name] = f"{label} must be a year in numbers, like 2021"
        return None
    value = int(text)
    if not 1990 <= value <= 2100:
        errors[name] = f"{label} must be between 1990 and 2100"
        return None
    return value


def _drop_unknown_values(
    filters: dict[str, list[str]], taxonomy: Taxonomy, errors: dict[str, str]
) -> dict[str, list[str]]:
    kept: dict[str, list[str]] = {}
    for key, values in filters.items():
        vocab = taxonomy.vocab(FILTERS[key][1])
        kept[key] = [v for v in values if v in vocab]
        for v in values:
            if v not in vocab and "filters" not in errors:
                hint = vocab.suggest(v, n=1)
                extra = f": did you mean {vocab.label(hint[0])}?" if hint else ""
                errors["filters"] = (
                    f"There is no {FILTER_TITLES[key].lower()} called ‘{v[:60]}’{extra}"
                )
    return kept


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadParams(f"'{name}' must be one of {', '.join(choices)}")
    return value


def _check_filter_values(filters: dict[str, list[str]], taxonomy: Taxonomy) -> None:
    for key, values in filters.items():
        vocab = taxonomy.vocab(FILTERS[key][1])
        for v in values:
            if v not in vocab:
                hint = vocab.suggest(v, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise BadParams(f"unknown {key} '{v[:60]}'{extra}")


def _split_params(
    params: list[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Single-valued parameters (first wins) and the repeatable filters."""
    single: dict[str, str] = {}
    filters: dict[str, list[str]] = {}
    for key, value in params:
        if key in FILTERS:
            values = filters.setdefault(key, [])
            if value and value not in values:
                values.append(value)
            if len(values) > MAX_FILTER_VALUES:
                raise BadParams(f"at most {MAX_FILTER_VALUES} values for '{key}'")
        else:
            single.setdefault(key, value)
    return single, filters
