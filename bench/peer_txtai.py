"""The peer, side by side: txtai 9's hybrid search against ours, same corpus, queries and machine.

    python -m venv /tmp/txtai-venv && /tmp/txtai-venv/bin/pip install "torch==2.13.0" txtai
    python bench/peer_txtai.py [/work/shared/bench/scifact content/eval] \
        [--txtai-python /tmp/txtai-venv/bin/python] [--work-dir /tmp/kb-peer] [--json]

txtai lives in its own virtual environment (never in the project's). For each collection this
script writes the documents (the text our keyword index sees: title, summary, sections, labels)
and the judged queries to the work dir, runs txtai there (`Embeddings(hybrid=True)` with the
same packaged all-MiniLM-L6-v2 files), then, in this process, our engine over the same
collection (ONNX Runtime encoder). Both are timed per query on one query at a time, and both
runs are scored with the same code (ranx: nDCG@10, Recall@100, MRR@10).
"""

from __future__ import annotations

# ruff: noqa: E402  (imports follow the sys.path fix-up below)
import os
import sys

# bench/search.py must not shadow the search package: the repository root goes first.
_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == _HERE:
    sys.path.pop(0)
sys.path.insert(0, os.path.dirname(_HERE))
sys.path.append(_HERE)

import argparse
import json
import subprocess
import time
from pathlib import Path

DEPTH = 100


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return round(xs[k], 2)


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def worker(folder: Path, model_path: str) -> None:
    """Run inside the txtai environment: index, search every query twice (cold, then timed
    per query), write the run and the figures."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from txtai import Embeddings

    docs = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    queries = json.loads((folder / "queries.json").read_text("utf-8"))
    t = time.perf_counter()
    emb = Embeddings(path=model_path, hybrid=True, content=False)
    emb.index([(d["id"], d["text"], None) for d in docs])
    index_s = time.perf_counter() - t
    emb.search("warm up", 10)
    torch.set_num_threads(1)  # as our server encodes a query: one thread
    run, times = {}, []
    for qid, text in queries.items():
        t = time.perf_counter()
        hits = emb.search(text, DEPTH)
        times.append((time.perf_counter() - t) * 1000)
        run[qid] = {str(i): float(DEPTH - r) for r, (i, _score) in enumerate(hits)}
    out = {
        "index_seconds": round(index_s, 1),
        "p50_ms": pct(times, 50),
        "p95_ms": pct(times, 95),
        "peak_rss_mb": peak_rss_mb(),
        "run": run,
    }
    (folder / "txtai.json").write_text(json.dumps(out), "utf-8")


def ours(collection: Path, work: Path, queries: dict[str, str]) -> tuple[dict, dict]:
    import hashlib

    from common import load_eval_corpus

    from search.build import build_index
    from search.embedding import DEFAULT_MODEL
    from search.engine import SearchEngine, SearchQuery
    from search.onnx_encoder import export_onnx, query_embedder

    docs, vocab = load_eval_corpus(collection)
    h = hashlib.sha256()
    for d in docs:
        h.update(d.fingerprint().encode())
    t = time.perf_counter()
    build_index(
        docs,
        work / "index",
        model_name=DEFAULT_MODEL,
        content_hash=h.hexdigest(),
        progress=False,
        vocabulary=vocab,
    )
    build_s = time.perf_counter() - t
    export_onnx(DEFAULT_MODEL, work)
    engine = SearchEngine.open(work / "index", embedder=query_embedder(DEFAULT_MODEL, work, "onnx"))
    engine.search(SearchQuery("warm up"))
    run, times = {}, []
    for qid, text in queries.items():
        t = time.perf_counter()
        res = engine.search(SearchQuery(text=text, per_page=DEPTH), decorate=False)
        times.append((time.perf_counter() - t) * 1000)
        run[qid] = {hit.id: float(DEPTH - r) for r, hit in enumerate(res.hits)}
    shown = []
    engine.clear_caches()
    for text in queries.values():  # what a results page costs: 20 hits with snippets
        t = time.perf_counter()
        engine.search(SearchQuery(text=text))
        shown.append((time.perf_counter() - t) * 1000)
    return run, {
        "build_seconds": round(build_s, 1),
        "p50_ms": pct(times, 50),
        "p95_ms": pct(times, 95),
        "page_of_20_p50_ms": pct(shown, 50),
        "page_of_20_p95_ms": pct(shown, 95),
    }


def compare(collection: Path, args: argparse.Namespace) -> dict:
    from common import load_eval_corpus

    from search.documents import keyword_text
    from search.embedding import resolve_model
    from search.evaluate import find_qrels, load_qrels, load_queries, score_run

    folder = args.work_dir / collection.name
    folder.mkdir(parents=True, exist_ok=True)
    qrels = load_qrels(find_qrels(collection, "test"))
    every = load_queries(collection / "queries.jsonl")
    queries = {q: every[q] for q in qrels if q in every}
    docs, _ = load_eval_corpus(collection)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps({"id": d.id, "text": keyword_text(d)}) + "\n")
    (folder / "queries.json").write_text(json.dumps(queries), "utf-8")
    subprocess.run(
        [args.txtai_python, __file__, "--worker", str(folder), "--model", str(resolve_model(None))],
        check=True,
    )
    peer = json.loads((folder / "txtai.json").read_text("utf-8"))
    run, mine = ours(collection, args.ours_dir / collection.name, queries)
    return {
        "documents": len(docs),
        "queries": len(queries),
        "txtai": {**score_run(qrels, peer.pop("run")), **peer},
        "ours": {**score_run(qrels, run), **mine},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    root = Path(__file__).resolve().parents[1]
    ap.add_argument(
        "collections",
        nargs="*",
        type=Path,
        default=[Path("/work/shared/bench/scifact"), root / "content" / "eval"],
    )
    ap.add_argument("--txtai-python", default="/tmp/txtai-venv/bin/python")
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/kb-peer"))
    ap.add_argument(
        "--ours-dir",
        type=Path,
        default=Path("/tmp/kb-quality"),
        help="our index and embedding cache (shared with bench/encoder_quality.py)",
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.model)
        return
    results = {}
    for coll in args.collections:
        results[coll.name] = compare(coll, args)
        print(json.dumps({coll.name: results[coll.name]}), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for name, r in results.items():
        print(f"== {name}: {r['documents']} documents, {r['queries']} queries")
        for who in ("ours", "txtai"):
            x = r[who]
            print(
                f"  {who:6} nDCG@10 {x['ndcg@10']:.4f}  R@100 {x['recall@100']:.4f}  "
                f"MRR@10 {x['mrr@10']:.4f}  p50 {x['p50_ms']:.2f} ms  p95 {x['p95_ms']:.2f} ms"
            )


if __name__ == "__main__":
    main()
