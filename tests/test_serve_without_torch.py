"""`kb serve` answers searches without importing PyTorch when the ONNX export exists.

Run in a fresh interpreter: the test process itself has PyTorch loaded (it built the index).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kb.settings import Settings

pytestmark = pytest.mark.slow

SCRIPT = r"""
import json, sys
import kb.cli.main  # what `kb serve` imports before uvicorn loads the app
from fastapi.testclient import TestClient
from web.app import create_app

with TestClient(create_app()) as client:  # runs the start-up warm-up
    api = client.get("/api/v1/search", params={"q": "apprenticeships for local people"})
    page = client.get("/search", params={"q": "reducing carbon emissions"})
    health = client.get("/healthz").json()
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers", "bm25s", "numba") if m in sys.modules)
print(json.dumps({
    "api": api.status_code, "hits": len(api.json()["results"]), "page": page.status_code,
    "encoder": health["encoder"], "heavy": heavy,
}))
"""


def _run(settings: Settings, **env: str) -> dict:
    environ = {
        **os.environ,
        "KB_CONTENT_DIR": str(settings.content_dir),
        "KB_DATA_DIR": str(settings.data_dir),
        **env,
    }
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=environ, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_onnx_serving_never_imports_torch(built_settings: Settings) -> None:
    got = _run(built_settings, KB_ENCODER="onnx")
    assert got["api"] == 200 and got["page"] == 200 and got["hits"] > 0
    assert got["encoder"] == {"configured": "onnx", "in_use": "onnx", "fallback": None}
    assert got["heavy"] == []


def test_torch_encoder_is_still_available(built_settings: Settings) -> None:
    got = _run(built_settings, KB_ENCODER="torch")
    assert got["api"] == 200 and got["hits"] > 0
    assert got["encoder"]["in_use"] == "torch"
    assert "torch" in got["heavy"]
