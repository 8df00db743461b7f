"""Grid over fusion settings (and BM25 k1/b) on a BEIR folder, on its train and test splits.

Defaults are chosen on the *train* split (and our own judged set), then reported on test, so
the SciFact test figure is not tuned on itself.

    python bench/tune_fusion.py /work/shared/bench/scifact --work-dir /tmp/sv/scifact [--bm25 0.9,0.4 ...]
"""

from __future__ import annotations

# ruff: noqa: E402  (imports follow the sys.path fix-up below)
import os
import sys

# Keep bench/ off the front of the import path: bench/search.py would shadow the search package.
# The repository root goes first instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == _HERE:
    sys.path.pop(0)
sys.path.insert(0, os.path.dirname(_HERE))
sys.path.append(_HERE)

import argparse
import contextlib
import hashlib
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from common import load_eval_corpus

from search.build import build_index
from search.embedding import DEFAULT_MODEL
from search.engine import SearchEngine
from search.evaluate import (
    find_qrels,
    load_qrels,
    load_queries,
    run_queries,
    score_run,
)
from search.fusion import FusionConfig

GRID = [
    ("keyword", None),
    ("semantic", None),
    *[("hybrid", FusionConfig(method="rrf", rrf_k=k)) for k in (10, 30, 60, 100)],
    *[("hybrid", FusionConfig(method="rrf", rrf_k=60, weight_semantic=w)) for w in (0.7, 1.5)],
    *[("hybrid", FusionConfig(method="weighted", alpha=a)) for a in (0.3, 0.4, 0.5, 0.6, 0.7)],
]
# Ideas that only our own set can test (taxonomy tags, the semantic cut-off).
GRID_EXTRA = [
    *[
        ("hybrid", FusionConfig(method="weighted", alpha=a, tag_boost=b))
        for a in (0.5, 0.6)
        for b in (0.05, 0.1, 0.2)
    ],
    *[
        ("hybrid", FusionConfig(method="weighted", alpha=a, semantic_min=m))
        for a in (0.5, 0.6)
        for m in (0.2, 0.3)
    ],
    *[(m, FusionConfig(semantic_min=0.3)) for m in ("semantic",)],
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path)
    ap.add_argument("--work-dir", type=Path, required=True)
    ap.add_argument("--bm25", action="append", default=[], help="k1,b (repeatable)")
    ap.add_argument("--splits", default="train,test")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--extra", action="store_true", help="also try tag boosts and cut-offs")
    ap.add_argument("--no-extra-text", action="store_true", help="index without extra_text")
    args = ap.parse_args()
    docs, vocab = load_eval_corpus(args.dir)
    if args.no_extra_text:
        for d in docs:
            d.extra_text = ""
    h = hashlib.sha256()
    for d in docs:
        h.update(d.fingerprint().encode())
    queries_all = load_queries(args.dir / "queries.jsonl")
    splits = {}
    for s in args.splits.split(","):
        with contextlib.suppress(FileNotFoundError):
            splits[s] = load_qrels(find_qrels(args.dir, s))
    rows = []
    for bm in args.bm25 or ["1.2,0.75"]:
        k1, b = (float(x) for x in bm.split(","))
        t0 = time.perf_counter()
        name = f"index-k{k1}-b{b}" + ("-noextra" if args.no_extra_text else "")
        build_index(
            docs,
            args.work_dir / name,
            model_name=DEFAULT_MODEL,
            content_hash=h.hexdigest(),
            progress=False,
            bm25_k1=k1,
            bm25_b=b,
            vocabulary=vocab,
        )
        eng = SearchEngine.open(args.work_dir / name)
        print(f"built k1={k1} b={b} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        for split, qrels in splits.items():
            queries = {q: queries_all[q] for q in qrels if q in queries_all}
            eng.embedder.prime_queries(queries.values())
            for mode, fusion in GRID + (GRID_EXTRA if args.extra else []):
                res = score_run(qrels, run_queries(eng, queries, mode, fusion))
                label = (
                    "-"
                    if fusion is None
                    else (
                        f"rrf k={fusion.rrf_k} w_sem={fusion.weight_semantic}"
                        if fusion.method == "rrf"
                        else f"weighted alpha={fusion.alpha}"
                    )
                )
                if fusion is not None and fusion.tag_boost:
                    label += f" tag_boost={fusion.tag_boost}"
                if fusion is not None and fusion.semantic_min:
                    label += f" semantic_min={fusion.semantic_min}"
                row = {
                    "bm25": f"{k1},{b}",
                    "extra_text": not args.no_extra_text,
                    "split": split,
                    "mode": mode,
                    "fusion": label,
                    **res,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
