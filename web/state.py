"""The services behind every request: the search index and the database catalogue, kept in step.

A request takes one `Snapshot`, so everything it shows comes from the same published build.
Problems (no index, no database, a mismatch between them) are reported honestly in `status`
rather than hidden: pages show a banner and /healthz says why.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from kb.settings import Settings
from kb.store.catalogue import Catalogue, CatalogueUnavailable, load_catalogue
from kb.store.db import load_info, make_engine

if TYPE_CHECKING:
    from search.embedding import Embedder
    from search.engine import SearchEngine, SearchQuery, SearchResults


@dataclass
class Snapshot:
    engine: SearchEngine | None
    catalogue: Catalogue | None
    problems: list[str] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        return bool(self.problems)


log = logging.getLogger(__name__)

#: Seconds between attempts to reload the catalogue after a new build is published.
RELOAD_INTERVAL = 2.0
#: Seconds a request waits for a reload another request has started.
RELOAD_WAIT = 1.5

# What anonymous users are told. The detail (paths, exception text) goes to the log only.
MISSING_INDEX = (
    "the search index is missing or unreadable: the site's administrator needs to run `kb build`"
)
MISMATCHED_INDEX = (
    "the search index was built for other content or another model: the site's administrator "
    "needs to run `kb build`"
)
NEWER_INDEX_FAILED = (
    "a newer build of the search index could not be opened; the previous one is still serving"
)


class KeywordFallback:
    """Wraps a search engine so that, when the embedding model cannot be used, searches run in
    keyword mode instead of failing; the reason is reported as a problem on every page."""

    def __init__(self, engine: SearchEngine, model_error: str | None):
        self._engine = engine
        self.model_error = model_error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def __len__(self) -> int:
        return len(self._engine)

    def search(self, query: SearchQuery, **kw: Any) -> SearchResults:
        from dataclasses import replace

        if self.model_error and query.mode != "keyword" and query.text:
            query = replace(query, mode="keyword")
        return self._engine.search(query, **kw)


def _query_embedder(settings: Settings) -> Embedder | None:
    """The configured query encoder (ONNX Runtime unless KB_ENCODER=torch), or None when the
    model itself is unavailable (the engine then reports it, and search uses keywords)."""
    from search.errors import ModelUnavailable
    from search.onnx_encoder import query_embedder

    try:
        return query_embedder(settings.model, settings.data_dir, settings.encoder)
    except ModelUnavailable as exc:
        log.error("the embedding model is unavailable: %s", exc)
        return None


class KnowledgeBase:
    def __init__(self, settings: Settings):
        from kb.services.indexing import reconcile
        from search.holder import IndexHolder

        self.settings = settings
        reconcile(settings)  # complete a build that was interrupted between database and index
        self.db = make_engine(settings.resolved_database_url, busy_timeout=1.0, pooled=False)
        self._last_failure = 0.0
        self.embedder = _query_embedder(settings)
        self.holder = IndexHolder(
            settings.index_dir, model_name=settings.model, embedder=self.embedder
        )
        self._catalogue: Catalogue | None = None
        self._catalogue_error: str | None = None
        self._model_error: str | None = None
        self._model_checked = False
        self._lock = threading.Lock()
        self._logged: set[str] = set()

    @property
    def encoder(self) -> dict[str, str | None]:
        """Which query encoder is in use, and why it is not the configured one (if it is not)."""
        emb = self.embedder
        return {
            "configured": self.settings.encoder,
            "in_use": emb.backend if emb is not None else None,
            "fallback": emb.fallback if emb is not None else None,
        }

    def warm_up(self) -> None:
        """Load everything the first requests need before the server reports ready: the index,
        the query encoder, the catalogue, and the library's summary vectors for /suggest."""
        from search.results import SearchQuery

        t0 = time.perf_counter()
        snap = self.snapshot()
        if snap.engine is not None and not self._model_error:
            try:
                snap.engine.search(SearchQuery(text="social value", per_page=1))
            except Exception as exc:  # reported by the requests themselves
                log.warning("the warm-up search failed: %r", exc)
        if snap.catalogue is not None and snap.engine is not None and not self._model_error:
            try:
                from kb.services.duplicates import embed_summaries

                summaries = [
                    " ".join(cs.summary.split()) for cs in snap.catalogue.case_studies.values()
                ]
                embed_summaries(summaries, self.settings, snap.engine.embedder)
            except Exception as exc:  # a read-only data folder: /suggest embeds them later
                log.warning("could not prepare the summaries for /suggest: %r", exc)
        log.info(
            "ready in %.2f s (query encoder: %s)",
            time.perf_counter() - t0,
            self.encoder["in_use"],
        )

    def _public(self, exc: BaseException, public: str) -> str:
        """Log the detail once per distinct message; return the plain words for the page."""
        detail = f"{public}: {exc.__class__.__name__}: {exc}"
        if detail not in self._logged and len(self._logged) < 1000:
            self._logged.add(detail)
            log.error("%s", detail)
        return public

    def _check_model(self, engine: SearchEngine) -> None:
        """Load the embedding model once; if it fails, search falls back to keywords."""
        if self._model_checked:
            return
        with self._lock:
            if self._model_checked:
                return
            try:
                engine.embed(["model check"])
            except Exception as exc:
                log.error("the embedding model could not be loaded: %r", exc)
                self._model_error = (
                    "semantic search is unavailable because the embedding model could not be "
                    "loaded; results use keyword search only"
                )
            self._model_checked = True

    def _refresh_catalogue(self, want_hash: str | None) -> None:
        """Reload from the database when a new build was published (or nothing is loaded yet).

        Off the hot path: at most one reload at a time, and after a failed attempt (a locked
        database) none for ``RELOAD_INTERVAL`` seconds; meanwhile every request is served the
        last good catalogue.
        """
        current = self._catalogue
        if current is not None and (want_hash is None or current.content_hash == want_hash):
            return
        if current is not None and time.monotonic() - self._last_failure < RELOAD_INTERVAL:
            return  # the last attempt failed (a locked database): wait before trying again
        # Another request may be reloading: wait for it briefly (a reload takes a fraction of a
        # second), so that a page does not pair the new index with the old catalogue; give up
        # after RELOAD_WAIT and serve what we have.
        if not self._lock.acquire(timeout=-1 if current is None else RELOAD_WAIT):
            return
        try:
            current = self._catalogue
            if current is not None and (want_hash is None or current.content_hash == want_hash):
                return
            try:
                info = load_info(self.db)
                if (
                    current is not None
                    and info is not None
                    and info.content_hash == current.content_hash
                ):
                    return  # database not (yet) updated: keep what we have, report mismatch
                self._catalogue = load_catalogue(self.db)
                self._catalogue_error = None
            except CatalogueUnavailable as exc:
                self._catalogue_error = str(exc)
                self._last_failure = time.monotonic()
            except Exception as exc:  # a locked or vanished database must not take the site down
                self._catalogue_error = f"the database cannot be read ({exc.__class__.__name__})"
                self._last_failure = time.monotonic()
        finally:
            self._lock.release()

    def snapshot(self) -> Snapshot:
        from search.errors import IndexMismatch

        problems: list[str] = []
        engine = None
        try:
            engine = self.holder.get()
        except IndexMismatch as exc:
            problems.append(self._public(exc, MISMATCHED_INDEX))
        except Exception as exc:  # a corrupt index file must not take the whole site down
            problems.append(self._public(exc, MISSING_INDEX))
        if self.holder.last_error is not None and engine is not None:
            problems.append(self._public(self.holder.last_error, NEWER_INDEX_FAILED))
        if engine is not None:
            self._check_model(engine)
            if self._model_error:
                problems.append(self._model_error)
            # duck-typed: the wrapper answers every SearchEngine attribute
            engine = cast("SearchEngine", KeywordFallback(engine, self._model_error))
        self._refresh_catalogue(engine.manifest.content_hash if engine is not None else None)
        catalogue = self._catalogue
        if self._catalogue_error:
            problems.append(self._catalogue_error)
        if (
            engine is not None
            and catalogue is not None
            and engine.manifest.content_hash != catalogue.content_hash
        ):
            problems.append(
                "the search index and the database come from different builds: run `kb build`"
            )
        return Snapshot(engine, catalogue, problems)
