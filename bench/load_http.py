"""HTTP load test on loopback: latency percentiles, throughput, errors and server memory.

Starts `kb serve` on a free port over the shipped content (building the index first if needed),
then runs N concurrent clients for a fixed time across search, case-study pages, recommendations
and the widget API. Bounded in time and request count; talks only to 127.0.0.1.

    python bench/load_http.py --clients 20 --duration 30 --workers 1
    python bench/load_http.py --clients 50 --duration 60 --workers 2 --json

(Not called http.py: a file of that name would shadow the standard library's http package for
every script in bench/.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KB = str(Path(sys.executable).parent / "kb")

QUERIES = [
    "long-term employment regeneration",
    "apprenticeships on construction frameworks",
    "Real Living Wage",
    "community wealth building",
    "school meals local food",
    "home care workers paid for travel time",
    "carbon reduction",
    "NT1 local recruitment",
    "sustained jobs for economically inactive residents",
    "spend with local small businesses",
]
RECOMMEND = [
    {
        "title": "Responsive housing repairs",
        "cpv": ["50700000"],
        "region": "north-east",
        "themes": ["employment"],
    },
    {
        "title": "Domiciliary care framework",
        "description": "Home care for older people.",
        "cpv": ["85312000"],
    },
    {"title": "Waste and recycling collection", "cpv": ["90511000"], "themes": ["environment"]},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MB."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
        )
        pids += [int(p) for p in out.stdout.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def pick(kind: str, slugs: list[str]) -> tuple[str, str, dict | None]:
    if kind == "search":
        q = random.choice(QUERIES)
        return "GET", f"/api/v1/search?q={q}", None
    if kind == "search_page":
        return "GET", f"/search?q={random.choice(QUERIES)}", None
    if kind == "case_study":
        return "GET", f"/case-studies/{random.choice(slugs)}", None
    if kind == "recommend":
        return "POST", "/api/v1/recommend", random.choice(RECOMMEND)
    return (
        "POST",
        "/api/v1/recommend",
        {**random.choice(RECOMMEND), "limit": 3},
    )  # the widget's call


KINDS = ["search", "search_page", "case_study", "recommend", "widget"]


async def run_load(
    base: str, clients: int, duration: float, max_requests: int, server_pid: int | None = None
) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        slugs = [
            c["slug"]
            for c in (await client.get("/api/v1/case-studies?per_page=100")).json()["results"]
        ]
        times: dict[str, list[float]] = {k: [] for k in KINDS}
        errors: list[str] = []
        sent = 0
        deadline = time.perf_counter() + duration

        async def worker(i: int) -> None:
            nonlocal sent
            rnd = random.Random(i)
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                kind = rnd.choice(KINDS)
                method, url, body = pick(kind, slugs)
                t0 = time.perf_counter()
                try:
                    r = await client.request(method, url, json=body)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {method} {url}")
                except httpx.HTTPError as exc:
                    errors.append(f"{exc.__class__.__name__} {method} {url}")
                times[kind].append((time.perf_counter() - t0) * 1000)

        samples: list[float] = []

        async def sample_memory() -> None:
            while server_pid and time.perf_counter() < deadline:
                samples.append(round(rss_mb(server_pid), 1))
                await asyncio.sleep(max(duration / 12, 0.5))

        t0 = time.perf_counter()
        await asyncio.gather(sample_memory(), *(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - t0
    every = sorted(t for ts in times.values() for t in ts)

    def pct(values: list[float], p: float) -> float:
        if not values:
            return 0.0
        values = sorted(values)
        return round(values[min(len(values) - 1, int(p / 100 * len(values)))], 1)

    return {
        "requests": len(every),
        "errors": len(errors),
        "error_samples": errors[:5],
        "seconds": round(elapsed, 1),
        "rps": round(len(every) / elapsed, 1),
        "p50_ms": pct(every, 50),
        "p95_ms": pct(every, 95),
        "p99_ms": pct(every, 99),
        "mean_ms": round(statistics.fmean(every), 1) if every else 0.0,
        "rss_mb_samples": samples,
        "by_kind": {
            k: {"n": len(v), "p50_ms": pct(v, 50), "p95_ms": pct(v, 95), "p99_ms": pct(v, 99)}
            for k, v in times.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    ap.add_argument("--max-requests", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse a built data dir")
    ap.add_argument("--content-dir", type=Path, default=ROOT / "content")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="kb-http-bench-")
    data_dir = args.data_dir or Path(tmp.name) / "var"
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_CONTENT_DIR": str(args.content_dir)}
    env.pop("KB_DATABASE_URL", None)
    if not (data_dir / "index" / "manifest.json").exists():
        subprocess.run([KB, "build", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [KB, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            raise SystemExit("the server did not start")
        asyncio.run(run_load(base, min(args.clients, 5), 2.0, 200))  # warm up caches and workers
        rss_before = rss_mb(server.pid)
        result = asyncio.run(
            run_load(base, args.clients, args.duration, args.max_requests, server.pid)
        )
        result["rss_mb_before"] = round(rss_before, 1)
        result["rss_mb_after"] = round(rss_mb(server.pid), 1)
        result.update(clients=args.clients, workers=args.workers)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        tmp.cleanup()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['clients']} clients, {result['workers']} worker(s), {result['seconds']} s: "
            f"{result['requests']} requests, {result['rps']} req/s, {result['errors']} errors"
        )
        print(f"latency ms: p50 {result['p50_ms']}  p95 {result['p95_ms']}  p99 {result['p99_ms']}")
        for kind, m in result["by_kind"].items():
            print(
                f"  {kind:12} n={m['n']:6}  p50 {m['p50_ms']:7.1f}  p95 {m['p95_ms']:7.1f}  "
                f"p99 {m['p99_ms']:7.1f}"
            )
        print(
            f"server RSS: {result['rss_mb_before']} MB before, {result['rss_mb_after']} MB after; "
            f"during the run (MB): {' '.join(str(s) for s in result['rss_mb_samples'])}"
        )
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
