"""Hits for display: the passage to show, its highlighted snippet and why the document matched."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .documents import Document
from .results import SearchHit
from .scores import QueryScores
from .snippets import SNIPPET_WORDS, highlight
from .tokenize import iter_words, word_stems
from .vectors import VectorIndex


@dataclass
class Passages:
    """The index's passages: owning document, heading, text and each passage's term ids."""

    doc: np.ndarray
    heading: list[str]
    text: list[str]
    terms_flat: np.ndarray
    terms_offsets: np.ndarray


#: Terms in more than this share of documents are not highlighted (in a library of at least
#: MIN_DOCS_FOR_DF documents), and a query marks at most MAX_MARKED_TERMS distinct terms.
MAX_MARKED_DF_SHARE = 0.4
MIN_DOCS_FOR_DF = 20
MAX_MARKED_TERMS = 12


class Explainer:
    """Turns a ranked document into a :class:`SearchHit` with its snippet and reasons."""

    def __init__(
        self,
        docs: Sequence[Document],
        passages: Passages,
        vectors: VectorIndex,
        vocab_ids: dict[str, int],
        postings: tuple[np.ndarray, np.ndarray],
    ):
        self.docs = docs
        self.passages = passages
        self.vectors = vectors
        self.vocab_ids = vocab_ids
        self.indptr, self.indices = postings

    def marked_terms(self, tokens: list[str]) -> set[str]:
        """The query terms worth highlighting: those that carry meaning in this library.

        A term in most documents ("council", "value", "work") says nothing about why a hit
        matched, so it is not marked once the library is large enough for document frequency
        to mean something; a long description keeps only its rarest terms.
        """
        n = len(self.docs)
        scored: list[tuple[float, str]] = []
        for t in set(tokens):
            tid = self.vocab_ids.get(t)
            if tid is None:
                continue
            df = int(self.indptr[tid + 1] - self.indptr[tid])
            if n >= MIN_DOCS_FOR_DF and df > MAX_MARKED_DF_SHARE * n:
                continue
            scored.append((math.log(1 + (n - df + 0.5) / (df + 0.5)), t))
        scored.sort(key=lambda st: (-st[0], st[1]))
        return {t for _, t in scored[:MAX_MARKED_TERMS]}

    def query_term_ids(self, tokens: list[str]) -> np.ndarray:
        ids = [self.vocab_ids[t] for t in tokens if t in self.vocab_ids]
        return np.unique(np.asarray(ids, dtype=np.int32))

    def _marked_ids(self, marked: set[str]) -> np.ndarray:
        return np.fromiter((self.vocab_ids[t] for t in marked), dtype=np.int32, count=len(marked))

    def doc_has_term(self, i: int, term_id: int) -> bool:
        """Whether document ``i`` contains the term (from the BM25 index's sorted postings)."""
        a, b = int(self.indptr[term_id]), int(self.indptr[term_id + 1])
        postings = self.indices[a:b]
        k = int(np.searchsorted(postings, i))
        return k < len(postings) and int(postings[k]) == i

    def query_terms(self, tokens: list[str]) -> tuple[np.ndarray, set[str]]:
        """What every hit of one query needs: its distinct term ids and the terms to mark
        (computed once per search, not once per hit)."""
        return self.query_term_ids(tokens), self.marked_terms(tokens)

    def _overlaps(self, start: int, end: int, qids: np.ndarray) -> np.ndarray:
        """For each passage in ``start:end``, how many of the query's distinct terms it
        contains (one vectorised pass over the document's passages)."""
        ps = self.passages
        offs = ps.terms_offsets[start : end + 1]
        found = _members(ps.terms_flat[offs[0] : offs[-1]], qids)  # passage terms are unique
        cs = np.concatenate(([0], np.cumsum(found)))
        return cs[offs[1:] - offs[0]] - cs[offs[:-1] - offs[0]]

    def _has_any(self, p: int, term_ids: np.ndarray) -> bool:
        ps = self.passages
        terms = ps.terms_flat[ps.terms_offsets[p] : ps.terms_offsets[p + 1]]  # sorted
        return bool(_members(term_ids, terms).any())

    def best_passage(
        self, i: int, qids: np.ndarray, s: QueryScores | None, mode: str
    ) -> tuple[int, float | None, float | None]:
        """The passage to show for document ``i``, its similarity to the query and the
        document's (best-passage) similarity, when the query was embedded."""
        start, end = int(self.vectors.p_start[i]), int(self.vectors.p_end[i])
        sims = None
        if s is not None and s.vector is not None:
            sims = self.vectors.passage_sims(s, start, end)
        doc_sim = float(sims.max()) if sims is not None and len(sims) else None
        if end - start <= 1 or s is None:
            return start, (float(sims[0]) if sims is not None and len(sims) else None), doc_sim
        best, best_score = start, -np.inf
        overlaps = self._overlaps(start, end, qids) if len(qids) and mode != "semantic" else None
        for p in range(start, end):
            kwf = int(overlaps[p - start]) / len(qids) if overlaps is not None else 0.0
            sem = float(sims[p - start]) if sims is not None and mode != "keyword" else 0.0
            sc = sem + (0.5 * kwf if mode != "semantic" else 0.0)
            if sc > best_score + 1e-9:
                best, best_score = p, sc
        return best, (float(sims[best - start]) if sims is not None else None), doc_sim

    def _why_query(
        self,
        i: int,
        s: QueryScores,
        allowed: np.ndarray,
        sem_top: np.ndarray | None,
        sims: tuple[float | None, float | None],
        marked: set[str],
    ) -> dict[str, Any]:
        why: dict[str, Any] = {}
        found = {t for t in marked if self.doc_has_term(i, self.vocab_ids[t])}
        # the query's own meaningful words (lower-cased) whose stems the document contains
        why["keyword_terms"] = list(
            dict.fromkeys(
                m.group(0).lower()
                for m in iter_words(s.text)
                if found.intersection(word_stems(m.group(0)))
            )
        )
        if s.keyword is not None:
            kw = float(s.keyword[i])
            why["keyword_score"] = round(kw, 4)
            rank_kw = int(np.count_nonzero(allowed & (s.keyword > s.keyword[i]))) + 1
            why["rank_keyword"] = rank_kw if kw > 0 else None
        if s.vector is not None:
            p_sim, doc_sim = sims
            why["semantic_similarity"] = round(doc_sim, 4) if doc_sim is not None else None
            pos = np.nonzero(sem_top == i)[0] if sem_top is not None else np.zeros(0, np.int64)
            why["rank_semantic"] = int(pos[0]) + 1 if len(pos) else None
            if p_sim is not None:
                why["best_passage_similarity"] = round(p_sim, 4)
        return why

    def hit(
        self,
        i: int,
        score: float,
        s: QueryScores | None,
        allowed: np.ndarray,
        used_filters: dict[str, list[str]],
        named: dict[str, set[str]],
        mode: str,
        sem_top: np.ndarray | None = None,
        terms: tuple[np.ndarray, set[str]] | None = None,
    ) -> SearchHit:
        """``terms`` is :meth:`query_terms` of the query, computed once for a page of hits."""
        doc = self.docs[i]
        tokens = s.tokens if s is not None else []
        qids, marked = terms if terms is not None else self.query_terms(tokens)
        p, p_sim, doc_sim = self.best_passage(i, qids, s, mode)
        text = self.passages.text[p]
        shown = marked
        if text and marked and not self._has_any(p, self._marked_ids(marked)):
            shown = set()  # the passage has none of them (its stored term ids say so)
        snippet = highlight(text or doc.title, shown, SNIPPET_WORDS)
        why = (
            self._why_query(i, s, allowed, sem_top, (p_sim, doc_sim), marked)
            if s is not None
            else {}
        )
        why["filters"] = {
            name: [v for v in doc.facet_values(name) if v in set(vals)]
            for name, vals in used_filters.items()
        }
        matched: dict[str, list[str]] = {}
        for facet in ("theme", "outcome"):
            wanted = set(used_filters.get(facet, [])) | named.get(facet, set())
            matched[facet] = [v for v in doc.facet_values(facet) if v in wanted]
        if named:
            why["query_names"] = {k: sorted(v) for k, v in named.items()}
        return SearchHit(
            id=doc.id,
            score=round(score, 6),
            snippet_html=snippet,
            snippet_heading=self.passages.heading[p],
            matched=matched,
            why=why,
            title=doc.title,
        )


def _members(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_set)`` for a sorted ``sorted_set``, without np.isin's overhead
    (two array operations: this runs for every hit)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    k = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[k] == values
