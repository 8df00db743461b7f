"""What /healthz, /api/v1/healthz, /livez and /readyz report.

Liveness (/livez): the process answers. Readiness (/readyz): it can serve search and case
studies, and the files behind what it serves are still on disk, so a deleted or replaced index
or database shows now, not at the next restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb.settings import Settings
from web.state import Snapshot


def _sqlite_file(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def on_disk(snap: Snapshot, settings: Settings) -> tuple[dict[str, bool], list[str]]:
    """Whether the served build and database are still the files on disk."""
    problems: list[str] = []
    index_ok = False
    if snap.engine is not None:
        served = Path(snap.engine.build_dir)
        index_ok = Path(settings.index_dir).exists() and (served / "manifest.json").exists()
        if not index_ok:
            problems.append("the files of the served search index are gone from disk")
    db_file = _sqlite_file(settings.resolved_database_url)
    database_ok = db_file.exists() if db_file is not None else snap.catalogue is not None
    if snap.catalogue is not None and not database_ok:
        problems.append("the database file is gone from disk")
    return {"index": index_ok, "database": database_ok}, problems


def encoder_json(snap: Snapshot, settings: Settings | None) -> dict[str, Any]:
    """The query encoder serving searches ("onnx" or "torch") and, if it is not the configured
    one, why (an ONNX export missing: run `kb build`)."""
    emb = getattr(snap.engine, "embedder", None) if snap.engine is not None else None
    return {
        "configured": settings.encoder if settings is not None else None,
        "in_use": getattr(emb, "backend", None),
        "fallback": getattr(emb, "fallback", None),
    }


def health_json(snap: Snapshot, settings: Settings | None = None) -> dict[str, Any]:
    m = snap.engine.manifest if snap.engine is not None else None
    disk, disk_problems = on_disk(snap, settings) if settings is not None else ({}, [])
    problems = [*snap.problems, *disk_problems]
    ready = snap.engine is not None and snap.catalogue is not None and not disk_problems
    return {
        "status": "degraded" if problems else "ok",
        "ready": ready,
        "problems": problems,
        "index_loaded": snap.engine is not None,
        "database_loaded": snap.catalogue is not None,
        "on_disk": disk,
        "case_studies": len(snap.catalogue.case_studies) if snap.catalogue else 0,
        "indexed_documents": len(snap.engine) if snap.engine is not None else 0,
        "model": m.model if m else None,
        "encoder": encoder_json(snap, settings),
        "build_id": m.build_id if m else None,
        "built_at": m.created_at if m else None,
        "content_hash": m.content_hash if m else None,
    }
