"""Filters and facet counts: which documents carry which tag, as flat arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .documents import FACET_FIELDS, Document
from .errors import SearchError
from .results import SearchQuery


class Facet:
    """Doc/value incidence of one facet, as flat arrays for fast counting and masking."""

    def __init__(self, name: str, docs: Sequence[Document]):
        self.name = name
        values: dict[str, int] = {}
        doc_idx: list[int] = []
        val_idx: list[int] = []
        for i, d in enumerate(docs):
            for v in dict.fromkeys(d.facet_values(name)):
                j = values.setdefault(v, len(values))
                doc_idx.append(i)
                val_idx.append(j)
        self.values = list(values)
        self.value_index = values
        self.doc_idx = np.asarray(doc_idx, dtype=np.int64)
        self.val_idx = np.asarray(val_idx, dtype=np.int64)
        self.n_docs = len(docs)

    def mask(self, accepted: Sequence[str]) -> np.ndarray:
        ids = [self.value_index[v] for v in accepted if v in self.value_index]
        m = np.zeros(self.n_docs, dtype=bool)
        if ids:
            sel = np.isin(self.val_idx, ids)
            m[self.doc_idx[sel]] = True
        return m

    def counts(self, doc_mask: np.ndarray) -> dict[str, int]:
        sel = doc_mask[self.doc_idx]
        c = np.bincount(self.val_idx[sel], minlength=len(self.values))
        pairs = [(self.values[j], int(c[j])) for j in np.nonzero(c)[0]]
        pairs.sort(key=lambda kv: (-kv[1], kv[0]))
        return dict(pairs)


def _extra_facet_names(docs: Sequence[Document]) -> list[str]:
    """Metadata fields holding lists of strings: filterable although not in FACET_FIELDS."""
    names: set[str] = set()
    for d in docs:
        for k, v in d.metadata.items():
            if isinstance(v, list) and all(isinstance(x, str) for x in v):
                names.add(k)
    return sorted(names)


class Facets:
    """Every facet of an index, and the year ranges, for filtering and counting."""

    def __init__(self, docs: Sequence[Document]):
        self.n_docs = len(docs)
        self.by_name = {
            name: Facet(name, docs)
            for name in dict.fromkeys([*FACET_FIELDS, *_extra_facet_names(docs)])
        }
        ys = [d.metadata.get("year_start") for d in docs]
        ye = [d.metadata.get("year_end") for d in docs]
        self.year_start = np.array([np.nan if v is None else float(v) for v in ys])
        self.year_end = np.array([np.inf if v is None else float(v) for v in ye])

    def get(self, name: str) -> Facet | None:
        return self.by_name.get(name)

    def mask(self, q: SearchQuery) -> tuple[np.ndarray, dict[str, list[str]]]:
        """Documents passing the query's filters, and the filters that were applied."""
        mask = np.ones(self.n_docs, dtype=bool)
        used: dict[str, list[str]] = {}
        for name, accepted in (q.filters or {}).items():
            vals = [accepted] if isinstance(accepted, str) else [str(v) for v in accepted or []]
            if not vals:
                continue
            facet = self.by_name.get(name)
            if facet is None:
                raise SearchError(
                    f"Unknown filter {name!r}; known filters: {', '.join(sorted(self.by_name))}."
                )
            mask &= facet.mask(vals)
            used[name] = vals
        if q.year_from is not None or q.year_to is not None:
            lo = -np.inf if q.year_from is None else float(q.year_from)
            hi = np.inf if q.year_to is None else float(q.year_to)
            has = ~np.isnan(self.year_start)
            mask &= has & (self.year_start <= hi) & (self.year_end >= lo)
        return mask, used

    def counts(self, result_mask: np.ndarray) -> dict[str, dict[str, int]]:
        return {name: f.counts(result_mask) for name, f in self.by_name.items() if f.values}

    def tagged(self, named: dict[str, set[str]]) -> np.ndarray:
        """Documents carrying any of the tags the query names."""
        boost = np.zeros(self.n_docs, dtype=bool)
        for facet, slugs in named.items():
            f = self.by_name.get(facet)
            if f is not None:
                boost |= f.mask(sorted(slugs))
        return boost
