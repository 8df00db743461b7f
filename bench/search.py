"""Search latency, throughput and memory, with the shipped content and replicated content.

    python bench/search.py [--sizes shipped,1000,10000] [--work-dir /tmp/kb-bench] [--json]

For each size: builds an index (copies share text, so embeddings come from the cache), then in a
fresh process opens it and measures, per mode:
- cold: p50/p95 of distinct queries with every cache cleared (includes embedding the query);
- repeated: p50/p95 of the same queries again (query vectors and per-query scores cached);
- filtered: hybrid with a region filter, cold;
- throughput: queries/second from 4 threads on distinct, uncached queries;
- peak RSS of that serving process (after loading the index and the model and searching).
"""

from __future__ import annotations

# ruff: noqa: E402  (imports follow the sys.path fix-up below)
import os
import sys

# Keep bench/ off the front of the import path: bench/http.py would shadow the standard library's
# http package and bench/search.py the search package. The repository root goes first instead.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import (
    QUERIES,
    ROOT,
    TENDER_QUERIES,
    content_hash,
    replicate,
    shipped_documents,
    vocabulary,
)

MODES = ("hybrid", "keyword", "semantic")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return round(xs[k], 2)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: a child started by fork and
    exec inherits its parent's peak there (the parent built the index with PyTorch loaded)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def serve(index_dir: Path, rounds: int, encoder: str = "onnx") -> dict:
    from search.embedding import DEFAULT_MODEL
    from search.engine import SearchEngine, SearchQuery
    from search.onnx_encoder import query_embedder

    t0 = time.perf_counter()
    embedder = query_embedder(DEFAULT_MODEL, index_dir.parent, encoder)
    eng = SearchEngine.open(index_dir, embedder=embedder)
    open_s = time.perf_counter() - t0
    eng.embed(["warm up the model"])  # load the model before timing
    eng.search(SearchQuery("warm up"))
    out: dict = {
        "documents": len(eng),
        "passages": eng.manifest.counts["passages"],
        "open_seconds": round(open_s, 2),
        "encoder": eng.embedder.backend,
    }

    def timed(fn) -> tuple[float, float]:
        t, c = time.perf_counter(), time.thread_time()
        fn()
        return (time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000

    for mode in MODES:
        cold, warm, refilter = [], [], []
        for _ in range(rounds):
            for q in QUERIES:
                eng.clear_caches()
                cold.append(timed(lambda q=q, mode=mode: eng.search(SearchQuery(q, mode=mode))))
                warm.append(timed(lambda q=q, mode=mode: eng.search(SearchQuery(q, mode=mode))))
                refilter.append(
                    timed(
                        lambda q=q, mode=mode: eng.search(
                            SearchQuery(q, mode=mode, filters={"theme": ["employment"]}, page=2)
                        )
                    )
                )
        n_q = len(QUERIES)
        short = [x for k, x in enumerate(cold) if QUERIES[k % n_q] not in TENDER_QUERIES]
        tender = [x for k, x in enumerate(cold) if QUERIES[k % n_q] in TENDER_QUERIES]
        out[mode] = {
            "p50_ms": pct([w for w, _ in cold], 50),
            "p95_ms": pct([w for w, _ in cold], 95),
            "cpu_p50_ms": pct([c for _, c in cold], 50),
            "cpu_p95_ms": pct([c for _, c in cold], 95),
            "short_p50_ms": pct([w for w, _ in short], 50),
            "short_p95_ms": pct([w for w, _ in short], 95),
            "short_cpu_p95_ms": pct([c for _, c in short], 95),
            "tender_p50_ms": pct([w for w, _ in tender], 50),
            "tender_p95_ms": pct([w for w, _ in tender], 95),
            "repeated_p50_ms": pct([w for w, _ in warm], 50),
            "repeated_p95_ms": pct([w for w, _ in warm], 95),
            "same_text_new_filter_p50_ms": pct([w for w, _ in refilter], 50),
            "same_text_new_filter_p95_ms": pct([w for w, _ in refilter], 95),
            "same_text_new_filter_cpu_p95_ms": pct([c for _, c in refilter], 95),
        }
    filt = []
    for _ in range(rounds):
        for q in QUERIES:
            eng.clear_caches()
            filt.append(
                timed(
                    lambda q=q: eng.search(SearchQuery(q, filters={"region": ["london", "wales"]}))
                )
            )
    out["hybrid_filtered"] = {
        "p50_ms": pct([w for w, _ in filt], 50),
        "p95_ms": pct([w for w, _ in filt], 95),
        "cpu_p95_ms": pct([c for _, c in filt], 95),
    }
    emb = []
    for q in QUERIES:
        eng.clear_caches()
        emb.append(timed(lambda q=q: eng.embedder.encode_query(q)))
    out["query_embedding"] = {
        "p50_ms": pct([w for w, _ in emb], 50),
        "p95_ms": pct([w for w, _ in emb], 95),
    }
    out["load_average_1min"] = round(os.getloadavg()[0], 2)
    eng.clear_caches()
    uniq = [
        f"{q} {suffix}"
        for suffix in ("", "in a city", "for a council", "evidence", "case study")
        for q in QUERIES
    ]
    t = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda q: eng.search(SearchQuery(q)), uniq))
    dt = time.perf_counter() - t
    out["throughput_qps_4_threads_uncached"] = round(len(uniq) / dt, 1)
    t = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda q: eng.search(SearchQuery(q)), uniq * 4))
    out["throughput_qps_4_threads_repeated"] = round(len(uniq) * 4 / (time.perf_counter() - t), 1)
    out["peak_rss_mb"] = peak_rss_mb()
    out["torch_imported"] = "torch" in sys.modules
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="shipped,1000,10000")
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/kb-bench"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--encoder", choices=("onnx", "torch"), default="onnx")
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        print(json.dumps(serve(args.serve, args.rounds, args.encoder)))
        return
    from search.build import build_index
    from search.embedding import DEFAULT_MODEL
    from search.onnx_encoder import export_onnx

    if args.encoder == "onnx":
        export_onnx(DEFAULT_MODEL, args.work_dir)

    base = shipped_documents()
    vocab = vocabulary()
    results = {}
    for size in args.sizes.split(","):
        n = len(base) if size == "shipped" else int(size)
        docs = replicate(base, n)
        index_dir = args.work_dir / f"index-{size}"
        t = time.perf_counter()
        m = build_index(
            docs,
            index_dir,
            model_name=DEFAULT_MODEL,
            content_hash=content_hash(docs),
            progress=False,
            vocabulary=vocab,
        )
        build_s = time.perf_counter() - t
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--serve",
                str(index_dir),
                "--rounds",
                str(args.rounds),
                "--encoder",
                args.encoder,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res["build_seconds_cached_embeddings"] = round(build_s, 1)
        res["passages_embedded"] = m.counts["passages_embedded"]
        results[size] = res
        print(json.dumps({size: res}), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for size, r in results.items():
            print(
                f"\n== {size}: {r['documents']} documents, {r['passages']} passages, "
                f"peak RSS {r['peak_rss_mb']} MB, open {r['open_seconds']} s, encoder "
                f"{r['encoder']} (torch loaded: {r['torch_imported']})"
            )
            for mode in MODES:
                x = r[mode]
                print(
                    f"  {mode:9} p50 {x['p50_ms']:7.2f} ms  p95 {x['p95_ms']:7.2f} ms (cpu p95 "
                    f"{x['cpu_p95_ms']:.2f})  repeated p50 {x['repeated_p50_ms']:6.2f} ms  p95 "
                    f"{x['repeated_p95_ms']:6.2f} ms  same text+new filter p95 "
                    f"{x['same_text_new_filter_p95_ms']:.2f} ms"
                )
            f = r["hybrid_filtered"]
            print(
                f"  hybrid+filter p50 {f['p50_ms']} ms p95 {f['p95_ms']} ms; throughput "
                f"{r['throughput_qps_4_threads_uncached']} q/s uncached, "
                f"{r['throughput_qps_4_threads_repeated']} q/s repeated (4 threads)"
            )


if __name__ == "__main__":
    main()
