"""Typed dependencies: route signatures stay short and tests can override them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kb.settings import Settings
from web.state import KnowledgeBase, Snapshot


class ServiceUnavailable(Exception):
    """Something the request needs is not available; the message says what."""


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb


def get_snapshot(request: Request) -> Snapshot:
    snap = request.app.state.kb.snapshot()
    request.state.snapshot = snap
    return snap


def get_settings(request: Request) -> Settings:
    return request.app.state.kb.settings


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_catalogue(snap: Snapshot):
    if snap.catalogue is None:
        raise ServiceUnavailable(
            "the case-study database is not available: " + "; ".join(snap.problems)
        )
    return snap.catalogue


def require_engine(snap: Snapshot):
    if snap.engine is None:
        raise ServiceUnavailable("the search index is not available: " + "; ".join(snap.problems))
    return snap.engine
