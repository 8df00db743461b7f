"""What /healthz and /api/v1/healthz report."""

from __future__ import annotations

from typing import Any

from web.state import Snapshot


def health_json(snap: Snapshot) -> dict[str, Any]:
    m = snap.engine.manifest if snap.engine is not None else None
    return {
        "status": "degraded" if snap.problems else "ok",
        "problems": snap.problems,
        "index_loaded": snap.engine is not None,
        "database_loaded": snap.catalogue is not None,
        "case_studies": len(snap.catalogue.case_studies) if snap.catalogue else 0,
        "indexed_documents": len(snap.engine) if snap.engine is not None else 0,
        "model": m.model if m else None,
        "build_id": m.build_id if m else None,
        "built_at": m.created_at if m else None,
        "content_hash": m.content_hash if m else None,
    }
