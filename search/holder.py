"""Keeping an index open while newer builds are published beside it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from .build import Manifest, current_build_id
from .embedding import Embedder
from .engine import SearchEngine
from .errors import SearchError


class IndexHolder:
    """Keeps a :class:`SearchEngine` open and swaps in a newer build when one is published.

    ``get()`` checks the index symlink at most every ``check_interval`` seconds (a readlink);
    when it points at a new build, that build is opened and replaces the old engine. If the new
    build cannot be opened, the old engine keeps serving and ``last_error`` says why.
    """

    def __init__(
        self,
        index_dir: Path | str,
        *,
        model_name: str | None = None,
        check_interval: float = 2.0,
        embedder: Embedder | None = None,
    ):
        self.index_dir = Path(index_dir)
        self.model_name = model_name
        self.check_interval = check_interval
        self._engine: SearchEngine | None = None
        self._build_id: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self.last_error: Exception | None = None
        #: one embedder for every build this holder opens: the model and query cache survive
        self._embedder: Embedder | None = embedder

    def get(self) -> SearchEngine:
        now = time.monotonic()
        if self._engine is not None and now - self._checked < self.check_interval:
            return self._engine
        with self._lock:
            self._checked = time.monotonic()
            bid = current_build_id(self.index_dir)
            if self._engine is None or (bid is not None and bid != self._build_id):
                try:
                    engine = SearchEngine.open(
                        self.index_dir, model_name=self.model_name, embedder=self._embedder
                    )
                except SearchError as exc:
                    self.last_error = exc
                    if self._engine is None:
                        raise
                else:
                    self._engine, self._build_id = engine, engine.manifest.build_id
                    self._embedder = engine.embedder
                    self.last_error = None
            return self._engine

    @property
    def manifest(self) -> Manifest:
        return self.get().manifest
