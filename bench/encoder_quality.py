"""Retrieval quality with each query encoder: PyTorch, ONNX Runtime fp32 and ONNX Runtime int8.

    python bench/encoder_quality.py [/work/shared/bench/scifact content/eval] \
        [--work-dir /tmp/kb-quality] [--json]

Each collection is indexed once (passages embedded with PyTorch, as `kb build` does); then the
same index is searched with queries encoded by each encoder, and nDCG@10, Recall@100 and MRR@10
are scored per mode. int8 is offered only if its hybrid and semantic nDCG@10 are within 0.005 of
fp32's on every collection.
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
import hashlib
import json
import time
from pathlib import Path

from common import ROOT, load_eval_corpus
from encoder import make_embedder

TOLERANCE = 0.005
MODES = ("hybrid", "semantic")


def evaluate(collection: Path, work_dir: Path) -> dict:
    from search.build import build_index
    from search.embedding import DEFAULT_MODEL
    from search.engine import SearchEngine
    from search.evaluate import find_qrels, load_qrels, load_queries, run_queries, score_run
    from search.onnx_encoder import export_onnx

    qrels = load_qrels(find_qrels(collection, "test"))
    every = load_queries(collection / "queries.jsonl")
    queries = {q: every[q] for q in qrels if q in every}
    docs, vocab = load_eval_corpus(collection)
    h = hashlib.sha256()
    for d in docs:
        h.update(d.fingerprint().encode())
    t = time.perf_counter()
    build_index(
        docs,
        work_dir / "index",
        model_name=DEFAULT_MODEL,
        content_hash=h.hexdigest(),
        progress=False,
        vocabulary=vocab,
    )
    out: dict = {"documents": len(docs), "queries": len(queries)}
    out["build_seconds"] = round(time.perf_counter() - t, 1)
    export = export_onnx(DEFAULT_MODEL, work_dir)
    for enc in ("torch", "onnx", "int8"):
        engine = SearchEngine.open(
            work_dir / "index", model_name=DEFAULT_MODEL, embedder=make_embedder(enc, export)
        )
        engine.embedder.prime_queries(queries.values())
        out[enc] = {mode: score_run(qrels, run_queries(engine, queries, mode)) for mode in MODES}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "collections",
        nargs="*",
        type=Path,
        default=[Path("/work/shared/bench/scifact"), ROOT / "content" / "eval"],
    )
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/kb-quality"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results: dict = {}
    offer = True
    for coll in args.collections:
        res = evaluate(coll, args.work_dir / coll.name)
        for mode in MODES:
            fp32, int8 = res["onnx"][mode]["ndcg@10"], res["int8"][mode]["ndcg@10"]
            res[f"int8_minus_fp32_{mode}"] = round(int8 - fp32, 4)
            offer = offer and abs(int8 - fp32) <= TOLERANCE
        results[coll.name] = res
        print(json.dumps({coll.name: res}), file=sys.stderr, flush=True)
    results["int8_within_tolerance"] = offer
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for name, res in results.items():
        if not isinstance(res, dict):
            continue
        print(f"== {name}: {res['documents']} documents, {res['queries']} queries")
        for enc in ("torch", "onnx", "int8"):
            cells = "  ".join(
                f"{m} nDCG@10 {res[enc][m]['ndcg@10']:.4f} R@100 {res[enc][m]['recall@100']:.4f}"
                for m in MODES
            )
            print(f"  {enc:5} {cells}")
    print(f"int8 within {TOLERANCE} of fp32 everywhere: {offer}")


if __name__ == "__main__":
    main()
