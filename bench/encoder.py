"""The query encoder alone: PyTorch vs ONNX Runtime fp32 vs ONNX Runtime int8.

    python bench/encoder.py [--work-dir /tmp/kb-encoder] [--rounds 3] [--json]

Each encoder runs in a fresh process (so its memory is its own) over the 53 queries of our judged
set (`content/eval/queries.jsonl`, officers' searches and tender descriptions), one query at a
time on one thread, as the server encodes them: p50/p95 wall time, the smallest cosine to
PyTorch's vector, and the process's peak RSS. Then batches of passages (what a build embeds) on
every core, in passages per second, to choose the build's encoder.
"""

from __future__ import annotations

# ruff: noqa: E402  (imports follow the sys.path fix-up below)
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == _HERE:
    sys.path.pop(0)
sys.path.insert(0, os.path.dirname(_HERE))
sys.path.append(_HERE)

import argparse
import json
import resource
import subprocess
import time
from pathlib import Path

import numpy as np
from common import ROOT, shipped_documents

ENCODERS = ("torch", "onnx", "int8")
QUERIES_FILE = ROOT / "content" / "eval" / "queries.jsonl"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return round(xs[k], 2)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: a child started by fork and
    exec inherits its parent's peak there, so every child would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def queries() -> list[str]:
    lines = QUERIES_FILE.read_text("utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def passages(n: int) -> list[str]:
    from search.documents import split_passages

    docs = shipped_documents()
    out = []
    for i, d in enumerate(docs):
        out += [p.embedding_text(d.title) for p in split_passages(d, i)]
    return out[:n]


def int8_dir(export: Path) -> Path:
    """An export folder whose model.onnx is the int8 copy (so the Embedder can open it)."""
    from search.onnx_encoder import INT8_FILE, META_FILE, MODEL_FILE, quantize_int8

    quantize_int8(export)
    out = export.parent / (export.name + "-int8")
    out.mkdir(exist_ok=True)
    for name, src in ((MODEL_FILE, INT8_FILE), (META_FILE, META_FILE), *[("tokenizer.json",) * 2]):
        link = out / name
        if not link.exists():
            link.symlink_to(export / src)
    return out


def make_embedder(encoder: str, export: Path, threads: int = 1):
    from search.embedding import DEFAULT_MODEL, Embedder

    if encoder == "torch":
        return Embedder(DEFAULT_MODEL, backend="torch")
    folder = export if encoder == "onnx" else int8_dir(export)
    return Embedder(DEFAULT_MODEL, backend="onnx", onnx_dir=folder, onnx_threads=threads)


def measure(encoder: str, export: Path, rounds: int, n_passages: int) -> dict:
    """Run in a child process: one encoder's latency, vectors, batch speed and memory."""
    qs = queries()
    emb = make_embedder(encoder, export)
    t = time.perf_counter()
    emb.load()
    load_s = time.perf_counter() - t
    times = []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            emb.encode([q])
            times.append((time.perf_counter() - t) * 1000)
    vecs = emb.encode(qs, batch_size=1)
    np.save(export.parent / f"vectors-{encoder}.npy", vecs)
    rss = peak_rss_mb()
    batch = make_embedder(encoder, export, threads=os.cpu_count() or 2)
    texts = passages(n_passages)
    batch.encode(texts[:8])
    t = time.perf_counter()
    batch.encode(texts, batch_size=64)
    rate = len(texts) / (time.perf_counter() - t)
    return {
        "queries": len(qs),
        "load_seconds": round(load_s, 2),
        "p50_ms": pct(times, 50),
        "p95_ms": pct(times, 95),
        "mean_ms": round(sum(times) / len(times), 2),
        "peak_rss_mb_queries": rss,
        "batch_passages_per_second": round(rate, 1),
        "batch_passages": len(texts),
        "torch_imported": "torch" in sys.modules,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/kb-encoder"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--passages", type=int, default=384)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", choices=ENCODERS, help=argparse.SUPPRESS)
    ap.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.export, args.rounds, args.passages)))
        return
    from search.embedding import DEFAULT_MODEL
    from search.onnx_encoder import export_onnx

    t = time.perf_counter()
    export = export_onnx(DEFAULT_MODEL, args.work_dir)
    export_s = time.perf_counter() - t
    int8_dir(export)
    results: dict = {"export_seconds": round(export_s, 1), "load_average_1min": 0.0}
    for enc in ENCODERS:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                enc,
                "--export",
                str(export),
                "--rounds",
                str(args.rounds),
                "--passages",
                str(args.passages),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        results[enc] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps({enc: results[enc]}), file=sys.stderr, flush=True)
    ref = np.load(export.parent / "vectors-torch.npy")
    for enc in ("onnx", "int8"):
        cos = np.sum(ref * np.load(export.parent / f"vectors-{enc}.npy"), axis=1)
        results[enc]["min_cosine_to_torch"] = round(float(cos.min()), 5)
        results[enc]["mean_cosine_to_torch"] = round(float(cos.mean()), 5)
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"export {results['export_seconds']} s; load average {results['load_average_1min']}")
    for enc in ENCODERS:
        r = results[enc]
        print(
            f"  {enc:5} p50 {r['p50_ms']:6.2f} ms  p95 {r['p95_ms']:6.2f} ms  min cosine "
            f"{r.get('min_cosine_to_torch', 1.0):.5f}  peak RSS {r['peak_rss_mb_queries']:6.1f} MB"
            f"  batch {r['batch_passages_per_second']:6.1f} passages/s  torch loaded "
            f"{r['torch_imported']}"
        )


if __name__ == "__main__":
    main()
