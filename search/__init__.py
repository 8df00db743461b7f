"""Hybrid (BM25 + embeddings) search over documents; generic, does not import ``kb``.

Heavy dependencies (torch, sentence-transformers, faiss, bm25s) load lazily.
"""

from .documents import Document
from .errors import (
    BuildError,
    DocumentNotFound,
    IndexMismatch,
    IndexUnavailable,
    ModelUnavailable,
    SearchError,
)
from .fusion import FusionConfig

__all__ = [
    "BuildError",
    "Document",
    "DocumentNotFound",
    "FusionConfig",
    "IndexMismatch",
    "IndexUnavailable",
    "ModelUnavailable",
    "SearchError",
]
