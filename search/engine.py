"""The search engine: one object behind the CLI, the web app and the evaluation.

Relevance cut-off (what counts in ``SearchResults.total`` for a text query):

- keyword mode: documents with a BM25 score > 0 (they contain at least one query term);
- semantic mode: the top ``fusion.depth`` documents by best-passage cosine similarity;
- hybrid mode: the union of the two, except that documents found *only* by the semantic
  retriever must also reach a cosine similarity of ``fusion.semantic_min`` (0.3 by default):
  without it every query would "match" the whole of a small library.

Within those, each hit says whether it matches *closely* (``SearchHit.close``, counted in
``SearchResults.close_total``; see ``ranking.close_matches``) and close hits rank first: ``total``
says what mentions the query, ``close_total`` what is about it.

Filters are applied *before* these cuts, so the semantic top-N is taken among the documents that
pass the filters: a filtered page is never empty while matching documents exist.
An empty query text lists every document that passes the filters, newest first.

The jobs live beside it: ``results`` (query and result records), ``facets`` (filters and
counts), ``vectors`` (exact or HNSW passage search), ``ranking`` (fusion), ``explain`` and
``snippets`` (what a hit shows), ``holder`` (swapping in new builds).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .bm25_index import load_bm25
from .build import FORMAT_VERSION, Manifest
from .documents import Document
from .embedding import DEFAULT_MODEL, Embedder, model_identity, model_label
from .errors import DocumentNotFound, IndexMismatch, IndexUnavailable, SearchError
from .explain import Explainer, Passages
from .facets import Facets
from .fusion import MODES, FusionConfig
from .ranking import rank
from .results import SearchHit, SearchQuery, SearchResults
from .scores import QueryScores
from .snippets import SNIPPET_WORDS, highlight
from .taxonomy import VocabularyMatcher
from .tokenize import tokenize
from .vectors import VectorIndex, open_vector_index

__all__ = [
    "SNIPPET_WORDS",
    "SearchEngine",
    "SearchHit",
    "SearchQuery",
    "SearchResults",
    "highlight",
]

CACHE_SIZE = 256


def _read_build(build_dir: Path) -> tuple[list[Document], dict[str, Any], Any, dict[str, Any]]:
    docs = [
        Document.from_json(d) for d in json.loads((build_dir / "documents.json").read_text("utf-8"))
    ]
    passages = json.loads((build_dir / "passages.json").read_text("utf-8"))
    bm25 = load_bm25(build_dir / "bm25")  # without importing bm25s (numba, SciPy)
    vpath = build_dir / "vocabulary.json"
    vocabulary = json.loads(vpath.read_text("utf-8")) if vpath.exists() else {}
    return docs, passages, bm25, vocabulary


class SearchEngine:
    """A loaded index. Cheap to keep open and safe to share between threads."""

    def __init__(
        self,
        build_dir: Path,
        manifest: Manifest,
        model_name: str,
        embedder: Embedder | None = None,
    ):
        self.build_dir = build_dir
        self.manifest = manifest
        self.model_name = model_name
        self.embedder = embedder or Embedder(model_name)
        self.fusion = FusionConfig.from_dict(manifest.fusion)
        try:
            self._docs, praw, self._bm25, self.vocabulary = _read_build(build_dir)
            p_doc = np.asarray(praw["doc_index"], dtype=np.int64)
            self._check_passage_order(p_doc, len(self._docs))
            self.vectors: VectorIndex = open_vector_index(build_dir, p_doc, len(self._docs))
            passages = Passages(
                p_doc,
                praw["heading"],
                praw["text"],
                np.load(build_dir / "passage_terms.npy"),
                np.load(build_dir / "passage_terms_offsets.npy"),
            )
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise IndexUnavailable(
                f"The search index at {build_dir} is unreadable ({exc}); run `kb build`."
            ) from exc
        self._check_counts(len(p_doc))
        self._id_to_idx = {d.id: i for i, d in enumerate(self._docs)}
        self.facets = Facets(self._docs)
        self._date_rank = self._newest_first_ranks()
        self._matcher = VocabularyMatcher(self.vocabulary)
        self._vocab_ids: dict[str, int] = self._bm25.vocab_dict
        self._explainer = Explainer(
            self._docs,
            passages,
            self.vectors,
            self._vocab_ids,
            (self._bm25.scores["indptr"], self._bm25.scores["indices"]),
        )
        self._score_cache: OrderedDict[tuple[Any, ...], QueryScores] = OrderedDict()
        # whole result pages of recent searches (hits are treated as read-only by callers)
        self._result_cache: OrderedDict[tuple[Any, ...], SearchResults] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _check_passage_order(self, p_doc: np.ndarray, n_docs: int) -> None:
        if len(p_doc) and (
            np.any(np.diff(p_doc) < 0) or set(np.unique(p_doc)) != set(range(n_docs))
        ):
            raise IndexUnavailable(
                f"The passages of the index at {self.build_dir} are out of order."
            )

    def _check_counts(self, n_pass: int) -> None:
        n_docs, counts = len(self._docs), self.manifest.counts
        if (
            n_docs != counts.get("documents")
            or n_pass != counts.get("passages")
            or self.vectors.ntotal != n_pass
            or self.vectors.dim != self.manifest.dim
            or int(self._bm25.scores.get("num_docs", n_docs)) != n_docs
        ):
            raise IndexUnavailable(
                f"The search index at {self.build_dir} is inconsistent (documents {n_docs}, "
                f"passages {n_pass}, vectors {self.vectors.ntotal}, manifest {counts}); "
                "run `kb build`."
            )

    def _newest_first_ranks(self) -> np.ndarray:
        """Each document's position when sorted newest first (date, then first year)."""
        ys = self.facets.year_start
        order = sorted(
            range(len(self._docs)),
            key=lambda i: (
                str(self._docs[i].metadata.get("date") or ""),
                -1 if np.isnan(ys[i]) else ys[i],
            ),
            reverse=True,
        )
        ranks = np.empty(len(self._docs), dtype=np.int64)
        ranks[np.asarray(order, dtype=np.int64)] = np.arange(len(self._docs))
        return ranks

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        index_dir: Path | str,
        *,
        model_name: str | None = None,
        expected_content_hash: str | None = None,
        embedder: Embedder | None = None,
    ) -> SearchEngine:
        """Open the index at ``index_dir`` (the symlink made by :func:`search.build.build_index`).

        Raises :class:`IndexUnavailable` when it is missing or unreadable and
        :class:`IndexMismatch` when it was built with another model (or for other content).
        ``embedder`` reuses an open model (and its query cache) across builds.
        """
        index_dir = Path(index_dir)
        model_name = model_name or DEFAULT_MODEL
        if not index_dir.exists():
            raise IndexUnavailable(f"No search index at {index_dir}: run `kb build` to create it.")
        build_dir = Path(os.path.realpath(index_dir))
        manifest = _read_manifest(index_dir, build_dir)
        want = model_identity(model_name)
        if manifest.model_identity != want:
            raise IndexMismatch(
                f"The search index at {index_dir} was built with the model {manifest.model!r} "
                f"but the configured model (KB_MODEL) is {model_label(model_name)!r}: run "
                "`kb build` to rebuild the index with it."
            )
        if embedder is not None and embedder.model_name != model_name:
            embedder = None
        engine = cls(build_dir, manifest, model_name, embedder)
        if expected_content_hash is not None:
            engine.check_content(expected_content_hash)
        return engine

    def check_content(self, content_hash: str) -> None:
        """Raise :class:`IndexMismatch` unless the index was built from this content."""
        if content_hash != self.manifest.content_hash:
            raise IndexMismatch(
                f"The search index (build {self.manifest.build_id}, content "
                f"{self.manifest.content_hash[:12]}) does not match the database (content "
                f"{content_hash[:12]}): run `kb build`."
            )

    def clear_caches(self, *, queries: bool = True) -> None:
        """Forget cached per-query scores (and, with ``queries``, cached query vectors)."""
        with self._cache_lock:
            self._score_cache.clear()
            self._result_cache.clear()
        if queries:
            self.embedder.clear_cache()

    # ------------------------------------------------------------------ access
    @property
    def documents(self) -> list[Document]:
        return list(self._docs)

    def get(self, doc_id: str) -> Document:
        try:
            return self._docs[self._id_to_idx[doc_id]]
        except KeyError:
            raise DocumentNotFound(f"No document {doc_id!r} in the search index.") from None

    def __len__(self) -> int:
        return len(self._docs)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised embeddings (float32, one row per text) with the index's model."""
        return self.embedder.encode(list(texts))

    def passage_vectors(self, doc_id: str) -> np.ndarray:
        i = self._id_to_idx[doc_id]
        return np.array(self.vectors.vectors[self.vectors.p_start[i] : self.vectors.p_end[i]])

    def document_vector(self, doc_id: str) -> np.ndarray:
        """Mean of a document's passage vectors, normalised."""
        v = self.passage_vectors(doc_id).mean(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n else v

    # ------------------------------------------------------------------ scoring
    def _keyword_scores(self, tokens: list[str]) -> np.ndarray:
        ids = [self._vocab_ids[t] for t in tokens if t in self._vocab_ids]
        if not ids:
            return np.zeros(len(self._docs), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def _holding(self, tokens: tuple[str, ...]) -> np.ndarray:
        """Which documents hold every one of ``tokens`` (a bool per document)."""
        indptr, indices = self._bm25.scores["indptr"], self._bm25.scores["indices"]
        has = np.ones(len(self._docs), dtype=bool)
        for t in tokens:
            tid = self._vocab_ids.get(t)
            one = np.zeros(len(self._docs), dtype=bool)
            if tid is not None:
                one[indices[indptr[tid] : indptr[tid + 1]]] = True
            has &= one
        return has

    def _coverage(
        self, tokens: list[str], alternatives: list[tuple[tuple[str, ...], tuple[str, ...]]]
    ) -> np.ndarray:
        """Each document's share of the query's distinct terms, weighted by IDF. A term the
        library never uses weighs as much as the rarest term, so "funeral services" is not
        covered by every document that mentions services. A phrase of the query counts as held
        by a document holding one of its ``alternatives`` (an acronym's spelled-out form)."""
        n = len(self._docs)
        indptr = self._bm25.scores["indptr"]
        cov = np.zeros(n, dtype=np.float64)
        total = 0.0
        for t in dict.fromkeys(tokens):
            tid = self._vocab_ids.get(t)
            df = 0 if tid is None else int(indptr[tid + 1] - indptr[tid])
            w = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
            total += w
            has = self._holding((t,))
            for src, alt in alternatives:
                if t in src:
                    has |= self._holding(alt)
            cov[has] += w
        return cov / total if total > 0 else cov

    def _scores(self, text: str, mode: str, fusion: FusionConfig) -> QueryScores:
        """Per-query scores, cached (LRU): BM25 for every document; the query vector; and, for
        an exact index, every passage's cosine similarity. With query expansion
        (``fusion.expand``) the added phrases' BM25 counts ``expand_weight`` times."""
        expand = (fusion.expand, fusion.expand_weight, fusion.expand_semantic)
        key = (text, mode, *expand, fusion.passage_mean, fusion.passage_first)
        with self._cache_lock:
            hit = self._score_cache.get(key)
            if hit is not None:
                self._score_cache.move_to_end(key)
                return hit
        s = QueryScores(text=text, tokens=tokenize(text))
        s.mean_weight, s.first_weight = fusion.passage_mean, fusion.passage_first
        extra = self._matcher.expansions(s.tokens, fusion.expand)
        if mode in ("hybrid", "keyword"):
            s.keyword = self._keyword_scores(s.tokens)
            added = [t for p in extra for t in p if t not in s.tokens]
            if added and fusion.expand_weight:
                s.keyword = s.keyword + np.float32(fusion.expand_weight) * self._keyword_scores(
                    list(dict.fromkeys(added))
                )
            alts = [(a, b) for b in extra for a in self._matcher.acronym_sources(b, s.tokens)]
            s.coverage = self._coverage(s.tokens, alts)
        if mode in ("hybrid", "semantic"):
            phrases = self._matcher.phrases_text(extra) if fusion.expand_semantic else ""
            s.vector = self.embedder.encode_query(f"{text} ({phrases})" if phrases else text)
            self.vectors.prepare(s)
        with self._cache_lock:
            self._score_cache[key] = s
            while len(self._score_cache) > CACHE_SIZE:
                self._score_cache.popitem(last=False)
        return s

    # ------------------------------------------------------------------ search
    def _cached(self, key: tuple[Any, ...]) -> SearchResults | None:
        with self._cache_lock:
            cached = self._result_cache.get(key)
            if cached is not None:
                self._result_cache.move_to_end(key)
            return cached

    def _remember(self, key: tuple[Any, ...], results: SearchResults) -> None:
        with self._cache_lock:
            self._result_cache[key] = results
            while len(self._result_cache) > CACHE_SIZE:
                self._result_cache.popitem(last=False)

    def search(self, q: SearchQuery, *, decorate: bool = True) -> SearchResults:
        """Run ``q``. ``decorate=False`` skips snippets, ``matched`` and ``why`` (hits carry only
        id and score): the evaluation uses it to score deep result lists quickly."""
        t0 = time.perf_counter()
        key = q.cache_key(decorate)
        cached = self._cached(key)
        if cached is not None:
            return replace(cached, query=q, took_ms=(time.perf_counter() - t0) * 1000)
        if q.mode not in MODES:
            raise SearchError(f"Unknown search mode {q.mode!r}; use one of {', '.join(MODES)}.")
        if q.sort not in ("relevance", "date"):
            raise SearchError(f"Unknown sort {q.sort!r}; use 'relevance' or 'date'.")
        page = max(1, int(q.page))
        per_page = max(1, min(int(q.per_page), 1000))
        allowed, used_filters = self.facets.mask(q)
        text = (q.text or "").strip()
        s: QueryScores | None = None
        named: dict[str, set[str]] = {}
        sem_top = None
        fusion = q.fusion or self.fusion
        if not text:
            cand = np.nonzero(allowed)[0]
            score = np.zeros(len(self._docs), dtype=np.float64)
            close = allowed  # a listing without text: everything listed matches
        else:
            s = self._scores(text, q.mode, fusion)
            named = self._matcher.named(s.tokens)
            ranking = rank(s, allowed, q.mode, fusion, named, self.vectors, self.facets)
            cand, score, sem_top = ranking.candidates, ranking.score, ranking.semantic_top
            close = ranking.close
        if not text or q.sort == "date":
            order = cand[np.argsort(self._date_rank[cand], kind="stable")]
        elif fusion.close_first:
            order = cand[np.lexsort((cand, -score[cand], ~close[cand]))]
        else:
            order = cand[np.lexsort((cand, -score[cand]))]
        result_mask = np.zeros(len(self._docs), dtype=bool)
        result_mask[cand] = True
        page_idx = order[(page - 1) * per_page : page * per_page]
        if decorate:
            terms = self._explainer.query_terms(s.tokens if s is not None else [])
            hits = [
                self._explainer.hit(
                    int(i),
                    float(score[i]),
                    s,
                    allowed,
                    used_filters,
                    named,
                    q.mode,
                    sem_top,
                    terms,
                )
                for i in page_idx
            ]
        else:
            hits = [
                SearchHit(self._docs[i].id, round(float(score[i]), 6), "", "", {}, {})
                for i in page_idx
            ]
        for h, i in zip(hits, page_idx, strict=True):
            h.close = bool(close[i])
        took = (time.perf_counter() - t0) * 1000
        results = SearchResults(
            hits,
            len(cand),
            self.facets.counts(result_mask),
            page,
            per_page,
            q,
            took,
            close_total=int(np.count_nonzero(close[cand])),
        )
        self._remember(key, results)
        return results

    # ------------------------------------------------------------------ more like this
    def similar(
        self, doc_id: str, k: int = 5, filters: dict[str, list[str]] | None = None
    ) -> list[SearchHit]:
        """The ``k`` documents most similar to ``doc_id`` (mean of its passage vectors against
        every other document's best passage)."""
        if doc_id not in self._id_to_idx:
            raise DocumentNotFound(f"No document {doc_id!r} in the search index.")
        i = self._id_to_idx[doc_id]
        s = QueryScores(text="", tokens=[], vector=self.document_vector(doc_id).astype(np.float32))
        self.vectors.prepare(s)
        allowed, used = self.facets.mask(SearchQuery(filters=filters or {}))
        allowed[i] = False
        top, sims = self.vectors.top_documents(s, allowed, k)
        hits = []
        for j, sim in zip(top, sims, strict=True):
            h = self._explainer.hit(int(j), float(sim), s, allowed, used, {}, "semantic")
            h.why = {"semantic_similarity": round(float(sim), 4), "similar_to": doc_id}
            hits.append(h)
        return hits


def _read_manifest(index_dir: Path, build_dir: Path) -> Manifest:
    try:
        manifest = Manifest.read(build_dir)
    except FileNotFoundError as exc:
        raise IndexUnavailable(
            f"The search index at {index_dir} has no manifest; run `kb build`."
        ) from exc
    except (OSError, ValueError, TypeError) as exc:
        raise IndexUnavailable(
            f"The search index manifest at {index_dir} is unreadable ({exc}); run `kb build`."
        ) from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(
            f"The search index at {index_dir} has format {manifest.format_version}, this "
            f"version of the software reads format {FORMAT_VERSION}: run `kb build`."
        )
    return manifest
