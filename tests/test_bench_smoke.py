"""Short smoke runs of the benchmark scripts, so they keep working; the figures come from full runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_http_load_smoke(content_dir):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load_http.py"),
            "--clients",
            "4",
            "--duration",
            "3",
            "--content-dir",
            str(content_dir),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:] + out.stdout[-2000:]
    result = json.loads(out.stdout)
    assert result["errors"] == 0 and result["requests"] > 10
    assert set(result["by_kind"]) == {"search", "search_page", "case_study", "recommend", "widget"}
