"""`kb serve` end to end: start-up, first search, HTTP search latency and the server's memory.

    python bench/serve_http.py [--sizes shipped,1000,10000] [--encoder onnx|torch]
        [--work-dir /tmp/kb-serve] [--json]

For each size it builds a data folder with `kb build` (for 1,000 and 10,000 the index is then
replaced by one of the shipped case studies replicated, see ``replicate_index``), starts
`kb serve` on a free loopback port and measures:

- start-up: from starting `kb serve` to `/readyz` answering 200 (the index, the encoder, the
  catalogue and /suggest's summaries are loaded before uvicorn reports ready);
- the first search after ready (a query the server has never seen);
- cold HTTP search: every query distinct and new to the server, `GET /api/v1/search` and
  `GET /search` (the HTML page), p50/p95 wall time in this client;
- in the same run, interleaved with the requests, one plain sentence-transformers encode of the
  same query in this process (the issue's yardstick: HTTP p50 <= 0.7 x that encode's p50);
- the server's resident memory after the run (VmRSS) and its peak (VmHWM), and whether it has
  PyTorch loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KB = str(Path(sys.executable).parent / "kb")
sys.path.insert(0, str(ROOT))


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return round(xs[k], 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_memory(pid: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def torch_loaded(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "libtorch" in maps


def queries() -> list[str]:
    """Distinct texts: our judged set's 53 queries and the latency benchmark's 25."""
    sys.path.append(str(ROOT / "bench"))  # after the root: bench/search.py is not `search`
    from common import QUERIES

    judged = [
        json.loads(line)["text"]
        for line in (ROOT / "content" / "eval" / "queries.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    return list(dict.fromkeys(judged + QUERIES))


def replicate_index(size: str, data_dir: Path) -> None:
    """Replace the shipped build's index with one of ``size`` documents: the shipped case
    studies copied with new ids, rotated regions and years (``bench/common.replicate``), so
    their passages share embeddings. The database keeps the shipped 150 (case-study titles must
    be unique, and new titles would mean embedding every copy); the index is stamped with the
    database's content hash so the server serves both. Only the JSON API is measured then."""
    sys.path.append(str(ROOT / "bench"))
    from common import replicate, shipped_documents, vocabulary

    from kb.content.library import load_library
    from search.build import build_index
    from search.embedding import DEFAULT_MODEL

    docs = replicate(shipped_documents(), int(size))
    build_index(
        docs,
        data_dir / "index",
        model_name=DEFAULT_MODEL,
        content_hash=load_library(ROOT / "content").content_hash,
        progress=False,
        vocabulary=vocabulary(),
    )


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 600) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"kb serve exited with {proc.returncode}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("kb serve did not become ready")


def run_size(size: str, args: argparse.Namespace, st_model) -> dict:
    work = args.work_dir / size
    content = ROOT / "content"
    env = {
        **os.environ,
        "KB_CONTENT_DIR": str(content),
        "KB_DATA_DIR": str(work / "var"),
        "KB_ENCODER": args.encoder,
        "KB_HNSW_MIN_PASSAGES": os.environ.get("KB_HNSW_MIN_PASSAGES", "20000"),
    }
    t = time.perf_counter()
    subprocess.run([KB, "build"], env=env, check=True, capture_output=True, cwd=ROOT)
    build_s = time.perf_counter() - t
    if size != "shipped":
        replicate_index(size, work / "var")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [KB, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        startup = wait_ready(base, proc)
        out: dict = {"build_seconds": round(build_s, 1), "startup_seconds": round(startup, 2)}
        with httpx.Client(base_url=base, timeout=30) as client:
            t = time.perf_counter()
            first = client.get("/api/v1/search", params={"q": "first visitor after start"})
            out["first_search_ms"] = round((time.perf_counter() - t) * 1000, 1)
            assert first.status_code == 200, first.text
            health = client.get("/healthz").json()
            out["encoder"] = health.get("encoder")
            out["documents"] = health.get("indexed_documents")
            api, page, encode, encode1 = [], [], [], []
            import torch

            for r in range(args.rounds):
                for q in queries():
                    text = q if r == 0 else f"{q} {r}"  # new to the server every round
                    t = time.perf_counter()
                    st_model.encode([text], normalize_embeddings=True)
                    encode.append((time.perf_counter() - t) * 1000)
                    prev = torch.get_num_threads()
                    torch.set_num_threads(1)
                    t = time.perf_counter()
                    st_model.encode([text], normalize_embeddings=True)
                    encode1.append((time.perf_counter() - t) * 1000)
                    torch.set_num_threads(prev)
                    t = time.perf_counter()
                    res = client.get("/api/v1/search", params={"q": text})
                    api.append((time.perf_counter() - t) * 1000)
                    assert res.status_code == 200, res.text
                    if size != "shipped":
                        continue  # the page would list copies the database does not hold
                    t = time.perf_counter()
                    res = client.get("/search", params={"q": text + " evidence"})
                    page.append((time.perf_counter() - t) * 1000)
                    assert res.status_code == 200
        out["requests"] = len(api)
        if not page:
            page = [float("nan")]
        for name, xs in (
            ("api_search", api),
            ("search_page", page),
            ("plain_torch_encode", encode),
            ("plain_torch_encode_one_thread", encode1),
        ):
            out[name] = {"p50_ms": pct(xs, 50), "p95_ms": pct(xs, 95)}
        out["api_p50_over_torch_encode_p50"] = round(
            out["api_search"]["p50_ms"] / out["plain_torch_encode"]["p50_ms"], 2
        )
        out["server_memory_mb"] = proc_memory(proc.pid)
        out["server_has_torch"] = torch_loaded(proc.pid)
        out["load_average_1min"] = round(os.getloadavg()[0], 2)
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="shipped")
    ap.add_argument("--encoder", choices=("onnx", "torch"), default="onnx")
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/kb-serve"))
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from search.embedding import load_model

    st_model = load_model(None)  # the plain sentence-transformers model, in this process
    st_model.encode(["warm up"])
    results = {}
    for size in args.sizes.split(","):
        results[size] = run_size(size, args, st_model)
        print(json.dumps({size: results[size]}), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for size, r in results.items():
        print(
            f"== {size}: {r['documents']} documents, encoder {r['encoder']['in_use']}; build "
            f"{r['build_seconds']} s, start-up {r['startup_seconds']} s, first search "
            f"{r['first_search_ms']} ms"
        )
        for name in ("api_search", "search_page", "plain_torch_encode"):
            print(f"  {name:20} p50 {r[name]['p50_ms']:7.2f} ms  p95 {r[name]['p95_ms']:7.2f} ms")
        print(
            f"  API p50 / torch encode p50 = {r['api_p50_over_torch_encode_p50']}; server RSS "
            f"{r['server_memory_mb']} MB, PyTorch loaded: {r['server_has_torch']}"
        )


if __name__ == "__main__":
    main()
