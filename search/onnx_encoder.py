"""The query encoder without PyTorch: the model exported to ONNX, run with ONNX Runtime.

Serving a query needs only the tokenizer (the ``tokenizers`` library, reading the model's own
``tokenizer.json``) and ONNX Runtime: a few tens of megabytes against PyTorch's hundreds, and
several times faster for one short text. PyTorch is needed once, to export (:func:`export_onnx`,
run by ``kb build``); the export is cached in the data folder under the model's identity, so a
new or changed model gets its own.

The graph computes what sentence-transformers computes for this kind of model (a BERT-style
transformer, mean pooling, L2 normalisation), so the vectors agree with PyTorch's to float
rounding (``tests/search/test_onnx_encoder.py`` checks a cosine of at least 0.9999).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .embedding import load_model, model_identity, model_label, resolve_model
from .errors import ModelUnavailable

if TYPE_CHECKING:
    from .embedding import Embedder

EXPORT_VERSION = 1  # bump when the exported graph changes
OPSET = 17
MODEL_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
META_FILE = "export.json"
#: Texts the export is checked on before it is kept (short, long, punctuation, non-ASCII).
CHECK_TEXTS = (
    "apprenticeships",
    "Real Living Wage accreditation in a council cleaning contract",
    "How did the NHS trust measure carbon savings from its fleet?  Tonnes of CO2e, £ and %.",
    "Café à la carte: naïve résumé — social value in école meals " * 12,
)
MIN_COSINE = 0.9999


def onnx_dir(data_dir: Path | str, model_name: str | os.PathLike[str] | None) -> Path:
    """Where the export of ``model_name`` lives: ``<data_dir>/onnx/<model identity>-v<n>``."""
    return Path(data_dir) / "onnx" / f"{model_identity(model_name)}-v{EXPORT_VERSION}"


def export_ready(directory: Path) -> bool:
    return all((directory / f).is_file() for f in (MODEL_FILE, META_FILE, "tokenizer.json"))


def _max_seq_length(model_dir: Path, default: int = 256) -> int:
    cfg = model_dir / "sentence_bert_config.json"
    try:
        return int(json.loads(cfg.read_text("utf-8")).get("max_seq_length") or default)
    except (OSError, ValueError):
        return default


def _check_pooling(model_dir: Path) -> None:
    """Refuse models whose pipeline the graph would not reproduce (anything but mean pooling)."""
    modules = model_dir / "modules.json"
    if not modules.exists():
        return
    for m in json.loads(modules.read_text("utf-8")):
        kind = str(m.get("type", "")).rsplit(".", 1)[-1]
        if kind not in {"Transformer", "Pooling", "Normalize"}:
            raise ModelUnavailable(f"Cannot export {model_dir} to ONNX: it has a {kind} module.")
        if kind == "Pooling":
            cfg = json.loads((model_dir / m["path"] / "config.json").read_text("utf-8"))
            others = [k for k, v in cfg.items() if k.startswith("pooling_mode_") and v]
            if others != ["pooling_mode_mean_tokens"]:
                raise ModelUnavailable(
                    f"Cannot export {model_dir} to ONNX: its pooling is {others}, not mean."
                )


def export_onnx(
    model_name: str | os.PathLike[str] | None, data_dir: Path | str, *, force: bool = False
) -> Path:
    """Export ``model_name`` to ONNX under ``data_dir`` (once; later calls return the cache).

    The export is checked against PyTorch on :data:`CHECK_TEXTS` before it is published by a
    rename, so a half-written or wrong export is never used. Needs PyTorch.
    """
    target = onnx_dir(data_dir, model_name)
    if export_ready(target) and not force:
        return target
    model_dir = resolve_model(model_name)
    _check_pooling(model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
    earlier = _EXPORTS.get(target.name)
    if not force and earlier is not None and earlier != target and export_ready(earlier):
        # made and checked by this process for another data folder (tests build many): hard
        # links where possible (the files are never rewritten in place, only replaced)
        shutil.copytree(
            earlier, tmp, ignore=shutil.ignore_patterns(INT8_FILE), copy_function=_link_or_copy
        )
        _publish(tmp, target)
        return target
    tmp.mkdir()
    try:
        _export_graph(model_name, tmp / MODEL_FILE)
        shutil.copy(model_dir / "tokenizer.json", tmp / "tokenizer.json")
        meta = {
            "model": model_label(model_name),
            "identity": model_identity(model_name),
            "export_version": EXPORT_VERSION,
            "opset": OPSET,
            "max_seq_length": _max_seq_length(model_dir),
        }
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2), "utf-8")
        _verify(model_name, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _publish(tmp, target)
    _EXPORTS[target.name] = target
    return target


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


#: exports made (and checked) by this process: folder name -> path
_EXPORTS: dict[str, Path] = {}


def _publish(tmp: Path, target: Path) -> None:
    """Move a complete export into place (a reader sees no export or a whole one)."""
    try:
        if target.exists():
            shutil.rmtree(target)
        os.rename(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not export_ready(target):  # not another process's export, finished first
            raise


def _export_graph(model_name: str | os.PathLike[str] | None, out: Path) -> None:
    import warnings

    import torch

    st = load_model(model_name)
    transformer = st[0].auto_model

    class MeanPooled(torch.nn.Module):
        """input_ids, attention_mask -> L2-normalised mean of the token embeddings."""

        def __init__(self, inner: Any):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    wrapped = MeanPooled(transformer).eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about constant shapes
        torch.onnx.export(
            wrapped,
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter needs no onnxscript
        )


def _verify(model_name: str | os.PathLike[str] | None, directory: Path) -> None:
    from .embedding import Embedder

    reference = Embedder(model_name, backend="torch").encode(list(CHECK_TEXTS))
    got = OnnxEncoder(directory).encode(list(CHECK_TEXTS))
    worst = float(np.min(np.sum(reference * got, axis=1)))
    if worst < MIN_COSINE:
        raise ModelUnavailable(
            f"The ONNX export of {model_label(model_name)} disagrees with PyTorch "
            f"(cosine {worst:.5f} < {MIN_COSINE}); it was not kept."
        )


def quantize_int8(directory: Path) -> Path:
    """A dynamically quantised (int8 weights) copy of the export, for measurement only: it is
    not served (see docs/benchmarks.md: its vectors drift and it costs retrieval quality)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = directory / INT8_FILE
    if not out.exists():
        quantize_dynamic(str(directory / MODEL_FILE), str(out), weight_type=QuantType.QInt8)
    return out


class OnnxEncoder:
    """Tokenises with ``tokenizers`` and runs the exported graph with ONNX Runtime.

    One thread per run by default: a query is too small to gain from more, and on a busy
    two-core machine each extra thread only waits. ``threads`` > 1 suits batches (builds).
    """

    def __init__(self, directory: Path | str, *, threads: int = 1, model_file: str = MODEL_FILE):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = Path(directory)
        if not export_ready(self.directory):
            raise ModelUnavailable(f"No complete ONNX export in {self.directory}.")
        meta = json.loads((self.directory / META_FILE).read_text("utf-8"))
        self.max_length = int(meta.get("max_seq_length") or 256)
        tok = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        # sentence-transformers truncates at max_seq_length and pads to the longest text
        tok.enable_truncation(max_length=self.max_length)
        tok.no_padding()
        self._tokenizer = tok
        self._pad_id = int(tok.token_to_id("[PAD]") or 0)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(self.directory / model_file), opts, providers=["CPUExecutionProvider"]
        )
        self._tok_lock = threading.Lock()  # a Rust tokenizer is not shared between threads
        width = self._session.get_outputs()[0].shape[1]
        self.dim = width if isinstance(width, int) and width > 0 else self._probe_dim()

    def _probe_dim(self) -> int:
        return int(self.encode(["dimension"]).shape[1])

    def _batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        with self._tok_lock:
            encs = self._tokenizer.encode_batch([t.strip() for t in texts])
        width = max(len(e.ids) for e in encs)
        ids = np.full((len(encs), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        return ids, mask

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Normalised float32 embeddings, one row per text (batches sorted by length)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        rows: list[np.ndarray] = []
        for start in range(0, len(order), batch_size):
            chunk = [texts[i] for i in order[start : start + batch_size]]
            ids, mask = self._batch(chunk)
            (vecs,) = self._session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})
            rows.append(np.asarray(vecs, dtype=np.float32))
        stacked = np.concatenate(rows)
        out = np.empty_like(stacked)
        out[np.asarray(order)] = stacked
        return np.ascontiguousarray(out)


_log = logging.getLogger("search.encoder")


def query_embedder(
    model_name: str | os.PathLike[str] | None, data_dir: Path | str, encoder: str = "onnx"
) -> Embedder:
    """The embedder a server uses for queries: ONNX Runtime when ``encoder`` is ``"onnx"`` and
    the export exists, else PyTorch. A missing export is logged and recorded in
    ``Embedder.fallback`` (shown by /healthz), never hidden."""
    from .embedding import Embedder

    if encoder == "onnx":
        directory = onnx_dir(data_dir, model_name)
        if export_ready(directory):
            return Embedder(model_name, backend="onnx", onnx_dir=directory)
        reason = (
            f"no ONNX export of the model in {directory} (run `kb build`); queries are "
            "encoded with PyTorch"
        )
        _log.warning("KB_ENCODER=onnx but %s", reason)
        embedder = Embedder(model_name, backend="torch")
        embedder.fallback = reason
        return embedder
    return Embedder(model_name, backend=encoder)
