"""What a search asks for and what it answers: the query model and the result records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fusion import FusionConfig


@dataclass
class SearchQuery:
    text: str = ""
    mode: str = "hybrid"
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"  # "relevance" | "date"
    fusion: FusionConfig | None = None  # None = the index's defaults

    def cache_key(self, decorate: bool) -> tuple[Any, ...]:
        """Everything that changes the answer, hashable."""
        filters = tuple(
            sorted(
                (k, tuple(sorted([v] if isinstance(v, str) else map(str, v or []))))
                for k, v in (self.filters or {}).items()
            )
        )
        return (
            (self.text or "").strip(),
            self.mode,
            filters,
            self.year_from,
            self.year_to,
            self.page,
            self.per_page,
            self.sort,
            self.fusion,
            decorate,
        )


@dataclass
class SearchHit:
    id: str
    score: float
    snippet_html: str
    snippet_heading: str
    matched: dict[str, list[str]]
    why: dict[str, Any]
    title: str = ""
    #: whether the document matches the query closely (see ``search.ranking.close_matches``)
    close: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "snippet_html": self.snippet_html,
            "snippet_heading": self.snippet_heading,
            "matched": self.matched,
            "why": self.why,
            "close": self.close,
        }


@dataclass
class SearchResults:
    hits: list[SearchHit]
    total: int
    facets: dict[str, dict[str, int]]
    page: int
    per_page: int
    query: SearchQuery
    took_ms: float
    #: how many of the ``total`` matching documents match closely (all of them for a listing)
    close_total: int = 0

    def to_json(self) -> dict[str, Any]:
        q = self.query
        return {
            "query": {
                "text": q.text,
                "mode": q.mode,
                "filters": q.filters,
                "year_from": q.year_from,
                "year_to": q.year_to,
                "sort": q.sort,
            },
            "total": self.total,
            "close_total": self.close_total,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": round(self.took_ms, 2),
            "facets": self.facets,
            "hits": [h.to_json() for h in self.hits],
        }
