"""A multi-worker deployment: `kb build` once, `kb serve --workers 2` reads the index read-only,
and a new build is picked up by every worker without a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

KB = str(Path(sys.executable).parent / "kb")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_share_one_build_and_pick_up_the_next(settings, content_dir):
    env = {**os.environ, "KB_CONTENT_DIR": str(content_dir), "KB_DATA_DIR": str(settings.data_dir)}
    env.pop("KB_DATABASE_URL", None)
    subprocess.run([KB, "build", "--quiet"], env=env, check=True, capture_output=True)
    index = Path(settings.data_dir) / "index"
    before_files = {p: p.stat().st_mtime for p in index.resolve().rglob("*") if p.is_file()}
    port = _port()
    server = subprocess.Popen(
        [KB, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        first = None
        for _ in range(240):
            try:
                first = httpx.get(f"{base}/healthz", timeout=5).json()
                break
            except (httpx.HTTPError, ValueError):
                time.sleep(0.25)
        assert first and first["status"] == "ok", first
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(40):
                r = client.get(
                    "/api/v1/search", params={"q": "food"}, headers={"Connection": "close"}
                )
                assert r.status_code == 200
            # the workers opened the index read-only: no file in the build was touched
            assert {
                p: p.stat().st_mtime for p in index.resolve().rglob("*") if p.is_file()
            } == before_files

            src = (content_dir / "casestudies" / "fixture-community-awards.md").read_text()
            (content_dir / "casestudies" / "fixture-added-live.md").write_text(
                src.replace(
                    "community awards and volunteering campaign", "a case added while serving"
                )
            )
            subprocess.run([KB, "build", "--quiet"], env=env, check=True, capture_output=True)
            new_build = os.readlink(index).rsplit("/", 1)[-1]
            seen_new = 0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and seen_new < 20:
                h = client.get("/healthz", headers={"Connection": "close"}).json()
                if h["build_id"] == new_build and h["case_studies"] == 9:
                    seen_new += 1
                else:
                    seen_new = 0
                time.sleep(0.1)
            assert seen_new >= 20, "not every worker switched to the new build"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
