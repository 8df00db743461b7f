"""Building the index: passages, embeddings (cached), FAISS + BM25, and an atomic switch-over.

Layout, for ``index_dir = DATA/index``::

    DATA/index                  symlink -> index.builds/<build_id>   (replaced atomically)
    DATA/index.builds/<id>/     manifest.json, documents.json, passages.json,
                                vectors.faiss, bm25/, vocabulary.json
    DATA/index.builds/.tmp-*    a build in progress (removed by the next build if abandoned)
    DATA/embeddings.sqlite      embedding cache shared by all builds, keyed by model + text hash
    DATA/.index.lock            held (flock) while a build runs

A build writes everything into ``.tmp-<id>``, fsyncs it, renames it to ``<id>`` and then
replaces the ``index`` symlink with ``os.replace``: a reader sees the old build or the new one,
never a mix, and a build killed at any point leaves the previous build in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .documents import FACET_FIELDS, Document, Passage, keyword_text, split_passages
from .embedding import Embedder, EmbeddingCache, model_identity, model_label, text_key
from .errors import BuildError
from .fusion import FusionConfig
from .tokenize import tokenize

FORMAT_VERSION = 2
KEEP_BUILDS = 2  # the current build and the one before it (a reader may still be opening it)
PAUSE_ENV = "SEARCH_TEST_BUILD_PAUSE"  # test hook: "stage:seconds" sleeps at that stage
#: from this many passages (about 3,500 case studies) an HNSW graph is added for semantic search;
#: below it exact search over every passage takes a few milliseconds
HNSW_MIN_PASSAGES = 20_000


@dataclass
class Manifest:
    build_id: str
    model: str
    model_identity: str
    dim: int
    content_hash: str
    counts: dict[str, int]
    build_seconds: float
    created_at: str
    fusion: dict[str, Any]
    format_version: int = FORMAT_VERSION
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Manifest:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @classmethod
    def read(cls, build_dir: Path) -> Manifest:
        return cls.from_json(json.loads((Path(build_dir) / "manifest.json").read_text("utf-8")))


def builds_dir(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    return index_dir.parent / f"{index_dir.name}.builds"


def embedding_cache_path(index_dir: Path) -> Path:
    return Path(index_dir).parent / "embeddings.sqlite"


def current_build_id(index_dir: Path) -> str | None:
    """The id of the build the index symlink points at, or None when there is none."""
    try:
        return Path(os.readlink(index_dir)).name
    except OSError:
        return None


def _pause(stage: str) -> None:
    spec = os.environ.get(PAUSE_ENV, "")
    if spec:
        name, _, secs = spec.partition(":")
        if name == stage:
            print(f"[search.build] pausing at {stage}", file=sys.stderr, flush=True)
            time.sleep(float(secs or 30))


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    lock_path = Path(index_dir).parent / f".{Path(index_dir).name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildError(
                f"Another build of {index_dir} is running (lock {lock_path}); try again when it ends."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())


def _validate(documents: Sequence[Document]) -> None:
    if not documents:
        raise BuildError("Refusing to build an index with no documents.")
    seen: set[str] = set()
    for d in documents:
        if not isinstance(d, Document):
            raise BuildError(f"Expected search.documents.Document, got {type(d).__name__}.")
        if not d.id:
            raise BuildError(f"A document has an empty id (title {d.title!r}).")
        if d.id in seen:
            raise BuildError(f"Duplicate document id {d.id!r}.")
        seen.add(d.id)


class _Progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None  # a rich Progress once started
        self._task: Any = None

    def start(self, total: int, label: str) -> None:
        if not self.enabled or total <= 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def embed_passages(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache,
    *,
    progress: bool = False,
    batch_size: int = 64,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` from the cache, embedding (and caching) only the missing ones.

    Returns the matrix and how many texts were newly embedded.
    """
    keys = [text_key(t) for t in texts]
    found = cache.get_many(keys)
    missing: dict[str, str] = {}
    for k, t in zip(keys, texts, strict=True):
        if k not in found and k not in missing:
            missing[k] = t
    bar = _Progress(progress)
    bar.start(len(missing), "Embedding passages")
    try:
        items = list(missing.items())
        # Longest first keeps padding low within batches.
        items.sort(key=lambda kv: len(kv[1]), reverse=True)
        for i in range(0, len(items), batch_size * 4):
            chunk = items[i : i + batch_size * 4]
            vecs = embedder.encode([t for _, t in chunk], batch_size=batch_size)
            cache.put_many(zip([k for k, _ in chunk], vecs, strict=True))
            for (k, _), v in zip(chunk, vecs, strict=True):
                found[k] = v
            bar.advance(len(chunk))
            _pause("embedding")
    finally:
        bar.stop()
    dim = next(iter(found.values())).shape[0] if found else embedder.dim
    mat = np.zeros((len(texts), dim), dtype=np.float32)
    for i, k in enumerate(keys):
        mat[i] = found[k]
    return mat, len(missing)


def _gc_builds(index_dir: Path, keep: str) -> None:
    bdir = builds_dir(index_dir)
    entries = []
    for p in bdir.iterdir():
        if p.name.startswith(".tmp-"):
            continue
        if p.is_dir() and p.name != keep:
            entries.append((p.stat().st_mtime, p))
    entries.sort(reverse=True)
    for _, p in entries[KEEP_BUILDS - 1 :]:
        shutil.rmtree(p, ignore_errors=True)


def build_index(
    documents: Sequence[Document],
    index_dir: Path,
    *,
    model_name: str,
    content_hash: str,
    progress: bool = True,
    fusion: FusionConfig | None = None,
    vocabulary: dict[str, dict[str, list[str]]] | None = None,
    bm25_k1: float = 1.2,
    bm25_b: float = 0.75,
    hnsw_min_passages: int | None = None,
    publish: bool = True,
) -> Manifest:
    """Build an index of ``documents`` and switch ``index_dir`` over to it atomically.

    With ``publish=False`` the complete build is left beside the current one, and
    :func:`publish_build` switches to it later: a caller that must also update a database
    publishes only once the database holds the same content (see ``kb.services.indexing.build``).

    ``vocabulary`` (optional) is facet name -> value slug -> [label, synonyms...], e.g. from
    :func:`search.taxonomy.vocabulary_from_taxonomy`; it is stored with the index and used to
    recognise themes and outcomes named in queries (``SearchHit.matched``).
    """
    import bm25s
    import faiss

    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    _validate(documents)
    fusion = fusion or FusionConfig()
    if hnsw_min_passages is None:
        hnsw_min_passages = HNSW_MIN_PASSAGES
    if index_dir.exists() and not index_dir.is_symlink():
        raise BuildError(
            f"{index_dir} exists and is not an index symlink made by search.build; move it away."
        )
    bdir = builds_dir(index_dir)
    bdir.mkdir(parents=True, exist_ok=True)

    with _build_lock(index_dir):
        for stale in bdir.glob(".tmp-*"):  # left by a killed build
            shutil.rmtree(stale, ignore_errors=True)
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        tmp = bdir / f".tmp-{build_id}"
        tmp.mkdir()
        try:
            # 1. passages
            passages: list[Passage] = []
            for i, doc in enumerate(documents):
                passages.extend(split_passages(doc, i))
            emb_texts = [p.embedding_text(documents[p.doc_index].title) for p in passages]
            _pause("passages")

            # 2. embeddings (cached by model + text)
            embedder = Embedder(model_name)
            mid = model_identity(model_name)
            with EmbeddingCache(embedding_cache_path(index_dir), mid) as cache:
                vectors, n_new = embed_passages(emb_texts, embedder, cache, progress=progress)
            dim = int(vectors.shape[1])
            _pause("embedded")

            # 3. FAISS (exact inner product = cosine on normalised vectors)
            index = faiss.IndexFlatIP(dim)
            index.add(vectors)
            faiss.write_index(index, str(tmp / "vectors.faiss"))
            if len(passages) >= hnsw_min_passages:
                # Large libraries also get an HNSW graph for approximate search (the engine falls
                # back to exact search when filters are selective).
                hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
                hnsw.hnsw.efConstruction = 80
                hnsw.add(vectors)
                faiss.write_index(hnsw, str(tmp / "vectors.hnsw.faiss"))

            # 4. BM25 over whole documents
            corpus_tokens = [tokenize(keyword_text(d)) or [""] for d in documents]
            retriever = bm25s.BM25(k1=bm25_k1, b=bm25_b, method="lucene")
            retriever.index(corpus_tokens, show_progress=False)
            retriever.save(str(tmp / "bm25"), show_progress=False)
            vocab_size = len(retriever.vocab_dict)
            # Each passage's distinct term ids, for choosing and highlighting snippets quickly.
            vd = retriever.vocab_dict
            term_lists = [
                np.unique(np.asarray([vd[t] for t in tokenize(p.text) if t in vd], dtype=np.int32))
                for p in passages
            ]
            offsets = np.zeros(len(passages) + 1, dtype=np.int64)
            offsets[1:] = np.cumsum([len(t) for t in term_lists])
            flat = np.concatenate(term_lists) if term_lists else np.zeros(0, dtype=np.int32)
            np.save(tmp / "passage_terms.npy", flat.astype(np.int32))
            np.save(tmp / "passage_terms_offsets.npy", offsets)

            # 5. documents, passages, vocabulary
            _write_json(tmp / "documents.json", [d.to_json() for d in documents])
            _write_json(
                tmp / "passages.json",
                {
                    "doc_index": [p.doc_index for p in passages],
                    "heading": [p.heading for p in passages],
                    "text": [p.text for p in passages],
                    "kind": [p.kind for p in passages],
                },
            )
            _write_json(tmp / "vocabulary.json", vocabulary or {})
            _pause("written")

            manifest = Manifest(
                build_id=build_id,
                model=model_label(model_name),
                model_identity=mid,
                dim=dim,
                content_hash=content_hash,
                counts={
                    "documents": len(documents),
                    "passages": len(passages),
                    "passages_embedded": n_new,
                    "passages_cached": len(set(map(text_key, emb_texts))) - n_new,
                    "vocabulary": vocab_size,
                },
                build_seconds=0.0,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                fusion=fusion.to_dict(),
                settings={
                    "bm25": {"k1": bm25_k1, "b": bm25_b, "method": "lucene"},
                    "max_passage_words": 180,
                    "hnsw": len(passages) >= hnsw_min_passages,
                    "facets": list(FACET_FIELDS),
                },
            )
            manifest.build_seconds = round(time.perf_counter() - t0, 3)
            _write_json(tmp / "manifest.json", manifest.to_json())
            for p in tmp.rglob("*"):
                if p.is_dir():
                    _fsync_dir(p)
            _fsync_dir(tmp)

            # 6. publish: rename the folder, then swap the symlink in one os.replace
            final = bdir / build_id
            os.rename(tmp, final)
            _fsync_dir(bdir)
            _pause("renamed")
            if publish:
                _switch(index_dir, build_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if publish:
            _gc_builds(index_dir, keep=build_id)
    return manifest


def _switch(index_dir: Path, build_id: str) -> None:
    """Point the index symlink at a complete build, in one atomic rename."""
    bdir = builds_dir(index_dir)
    link_tmp = index_dir.parent / f".{index_dir.name}.link-{build_id}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(link_tmp)
    os.symlink(os.path.join(bdir.name, build_id), link_tmp)
    os.replace(link_tmp, index_dir)
    _fsync_dir(index_dir.parent)


def publish_build(index_dir: Path, build_id: str) -> None:
    """Switch ``index_dir`` to a build made with ``publish=False`` (idempotent)."""
    index_dir = Path(index_dir)
    if not (builds_dir(index_dir) / build_id / "manifest.json").exists():
        raise BuildError(f"No complete build {build_id!r} to publish in {builds_dir(index_dir)}.")
    with _build_lock(index_dir):
        if current_build_id(index_dir) != build_id:
            _switch(index_dir, build_id)
        _gc_builds(index_dir, keep=build_id)


def find_build(index_dir: Path, content_hash: str) -> str | None:
    """The newest complete build of this content, published or not."""
    bdir = builds_dir(Path(index_dir))
    if not bdir.is_dir():
        return None
    found = []
    for p in bdir.iterdir():
        if p.name.startswith(".") or not p.is_dir():
            continue
        try:
            m = Manifest.read(p)
        except (OSError, ValueError, TypeError):
            continue
        if m.content_hash == content_hash:
            found.append((m.created_at, p.name))
    return max(found)[1] if found else None
