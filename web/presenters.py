"""Shape search hits, case studies and recommendations for JSON and templates alike."""

from __future__ import annotations

from typing import Any

from kb.services.recommend import RecommendationSet
from kb.store.catalogue import CaseStudyView


def hit_json(engine: Any, hit: Any) -> dict[str, Any]:
    doc = engine.get(hit.id)
    m = doc.metadata
    return {
        "slug": hit.id,
        "url": f"/case-studies/{hit.id}",
        "title": doc.title,
        "organisation": m.get("organisation") or "",
        "summary": doc.summary,
        "region": list(m.get("region") or []),
        "years": {"start": m.get("year_start"), "end": m.get("year_end")},
        "themes": list(m.get("theme") or []),
        "outcomes": list(m.get("outcome") or []),
        "evidence": list(m.get("evidence") or []),
        "date": m.get("date"),
        "score": hit.score,
        "snippet_html": hit.snippet_html,
        "snippet_heading": hit.snippet_heading,
        "matched": hit.matched,
        "why": hit.why,
    }


def case_study_json(cs: CaseStudyView) -> dict[str, Any]:
    return {"url": f"/case-studies/{cs.slug}", **cs.to_json()}


def recommendations_json(result: RecommendationSet) -> dict[str, Any]:
    data = result.to_json()
    for rec in data["recommendations"]:
        rec["url"] = f"/case-studies/{rec['slug']}"
    req = result.request
    data["request"] = {
        "title": req.title,
        "description": req.description,
        "cpv": req.cpv,
        "cpv_divisions": req.divisions,
        "value": req.value_gbp,
        "region": req.region,
        "themes": req.themes,
    }
    return data
