"""Search quality on our judged set (development and test splits) and SciFact, per mode, and the
relevance cut ("closely matching"): how many judged-relevant documents fall below it and how many
unjudged (not relevant: every query was judged against every case study) stay above it.

    python bench/search_quality.py --work-dir /tmp/sq [--scifact /work/shared/bench/scifact]
        [--variant name=field:value,field:value ...] [--cut-grid]

Variants override ``FusionConfig`` fields, so an idea is measured before its default changes.
Tune on ``dev`` (and SciFact train); the test splits are reported, never tuned on.
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
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
from common import content_hash, load_eval_corpus

from search.build import build_index
from search.embedding import DEFAULT_MODEL
from search.engine import SearchEngine, SearchQuery
from search.evaluate import find_qrels, load_qrels, load_queries, run_queries, score_run
from search.fusion import MODES, FusionConfig
from search.onnx_encoder import export_onnx, query_embedder

ROOT = Path(__file__).resolve().parents[1]
OWN = ROOT / "content" / "eval"


def open_engine(src: Path, work: Path) -> SearchEngine:
    """Build (embedding cache in ``work``) and open an index of ``src`` with the ONNX encoder."""
    docs, vocab = load_eval_corpus(src)
    build_index(
        docs,
        work / "index",
        model_name=DEFAULT_MODEL,
        content_hash=content_hash(docs),
        progress=False,
        vocabulary=vocab,
    )
    export_onnx(DEFAULT_MODEL, work)
    return SearchEngine.open(work / "index", embedder=query_embedder(DEFAULT_MODEL, work, "onnx"))


def parse_variant(spec: str) -> tuple[str, dict[str, Any]]:
    name, _, body = spec.partition("=")
    types = {f.name: f.type for f in fields(FusionConfig)}
    out: dict[str, Any] = {}
    for item in filter(None, body.split(",")):
        k, _, v = item.partition(":")
        t = str(types[k])
        out[k] = (
            v == "true" if "bool" in t else int(v) if t == "int" else v if t == "str" else float(v)
        )
    return name, out


def cut_report(
    eng: SearchEngine,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    mode: str,
    fusion: FusionConfig,
) -> dict[str, Any]:
    """Judged-relevant documents below the cut and unjudged ones above it, over all queries."""
    rel = below = above = unjudged_above = 0
    per_query, no_relevant = [], {}
    for qid, text in queries.items():
        res = eng.search(
            SearchQuery(text=text, mode=mode, per_page=1000, fusion=fusion), decorate=False
        )
        judged = {d for d, g in qrels.get(qid, {}).items() if g > 0}
        close = {h.id for h in res.hits if h.close}
        rel += len(judged)
        below += len(judged - close)
        above += len(close)
        unjudged_above += len(close - judged)
        per_query.append((len(close), res.total))
        if not judged:
            no_relevant[qid] = len(close)
    p = 1 - unjudged_above / above if above else 1.0
    r = 1 - below / rel if rel else 1.0
    return {
        "relevant": rel,
        "relevant_below_cut": below,
        "above_cut": above,
        "unjudged_above_cut": unjudged_above,
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "median_close": float(np.median([c for c, _ in per_query])),
        "median_total": float(np.median([t for _, t in per_query])),
        "no_relevant_queries": no_relevant,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work-dir", type=Path, required=True)
    ap.add_argument("--scifact", type=Path, default=None)
    ap.add_argument("--scifact-splits", default="test")
    ap.add_argument("--splits", default="dev,test")
    ap.add_argument("--variant", action="append", default=[], help="name=field:value,...")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--cut", action="store_true", help="report the relevance cut")
    args = ap.parse_args()
    variants = [("default", {})] + [parse_variant(v) for v in args.variant]
    modes = args.modes.split(",")
    sets: list[tuple[str, Path, list[str]]] = [("own", OWN, args.splits.split(","))]
    if args.scifact:
        sets.append(("scifact", args.scifact, args.scifact_splits.split(",")))
    for name, src, splits in sets:
        eng = open_engine(src, args.work_dir / name)
        queries_all = load_queries(src / "queries.jsonl")
        for split in splits:
            qrels = load_qrels(find_qrels(src, split))
            if name == "own":  # queries with nothing relevant are in the split by metadata
                lines = (src / "queries.jsonl").read_text("utf-8").splitlines()
                meta = [json.loads(x) for x in lines if x.strip()]
                want = "development" if split == "dev" else split
                ids = [m["_id"] for m in meta if m["metadata"].get("split") == want]
            else:
                ids = list(qrels)
            queries = {q: queries_all[q] for q in ids if q in queries_all}
            eng.embedder.prime_queries(queries.values())
            for vname, over in variants:
                fusion = eng.fusion.with_(**over)
                for mode in modes:
                    row: dict[str, Any] = {"set": name, "split": split, "variant": vname}
                    row["mode"] = mode
                    judged = {q: t for q, t in queries.items() if q in qrels}
                    row.update(score_run(qrels, run_queries(eng, judged, mode, fusion)))
                    if args.cut and name == "own":
                        row["cut"] = cut_report(eng, queries, qrels, mode, fusion)
                    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
