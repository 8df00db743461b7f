"""Typed dependencies: route signatures stay short and tests can override them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kb.content.planguide import PlanGuide, PlanGuideCache
from kb.settings import Settings
from kb.store.catalogue import Catalogue
from search.engine import SearchEngine
from web.errors import ServiceUnavailable
from web.state import KnowledgeBase, Snapshot


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


def get_catalogue(snap: SnapshotDep) -> Catalogue:
    """The loaded case studies, or 503 saying why there are none."""
    if snap.catalogue is None:
        raise ServiceUnavailable(
            "the case-study database is not available: " + "; ".join(snap.problems)
        )
    return snap.catalogue


def get_engine(snap: SnapshotDep) -> SearchEngine:
    """The loaded search index, or 503 saying why there is none."""
    if snap.engine is None:
        raise ServiceUnavailable("the search index is not available: " + "; ".join(snap.problems))
    return snap.engine


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
EngineDep = Annotated[SearchEngine, Depends(get_engine)]


def get_plan_guide(request: Request, catalogue: CatalogueDep) -> PlanGuide:
    """The plan's guidance (content/plan/), or 503 saying it is missing or broken."""
    state = request.app.state
    cache = getattr(state, "plan_guides", None)
    if cache is None:
        cache = state.plan_guides = PlanGuideCache(state.kb.settings.content_dir / "plan")
    guide = cache.get(catalogue.taxonomy)
    if guide is None:
        raise ServiceUnavailable(
            "the plan guidance (content/plan/) is not available: run `kb validate` to see why"
        )
    return guide


PlanGuideDep = Annotated[PlanGuide, Depends(get_plan_guide)]
