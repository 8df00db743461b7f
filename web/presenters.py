"""Shape search hits, case studies and recommendations for JSON and templates alike."""

from __future__ import annotations

from typing import Any

from kb.services.plan import Plan
from kb.services.plan_export import plan_query_path
from kb.services.recommend import RecommendationSet
from kb.store.catalogue import CaseStudyView, Catalogue


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
        "close": hit.close,
    }


def case_study_json(cs: CaseStudyView) -> dict[str, Any]:
    return {"url": f"/case-studies/{cs.slug}", **cs.to_json()}


def plan_json(plan: Plan, catalogue: Catalogue) -> dict[str, Any]:
    data = plan.to_json(catalogue)
    for cs in data["case_studies"]:
        cs["url"] = f"/case-studies/{cs['slug']}"
    query = plan_query_path(plan.procurement.request)
    data["links"] = {
        "page": query,
        "markdown": query.replace("/plan?", "/plan.md?", 1),
        "docx": query.replace("/plan?", "/plan.docx?", 1),
    }
    return data


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


#: Sections of the law and policy page (content/pages/policy.md) that apply in each place.
_ENGLAND = [
    ("public-services-social-value-act-2012", "Social Value Act 2012"),
    ("procurement-act-2023", "Procurement Act 2023"),
    ("national-procurement-policy-statement-2025", "NPPS 2025"),
    ("ppn-002-the-social-value-model", "PPN 002"),
]
_RULES_BY_REGION = {
    "scotland": [
        ("scotland-procurement-reform-scotland-act-2014", "Procurement Reform (Scotland) Act 2014")
    ],
    "wales": [
        ("public-services-social-value-act-2012", "Social Value Act 2012"),
        ("procurement-act-2023", "Procurement Act 2023"),
        (
            "wales-social-partnership-and-public-procurement-wales-act-2023",
            "Social Partnership and Public Procurement (Wales) Act 2023",
        ),
    ],
    "northern-ireland": [
        ("procurement-act-2023", "Procurement Act 2023"),
        ("northern-ireland-ppn-01-21", "PPN 01/21"),
    ],
}


def rules_for_regions(regions: list[str]) -> list[tuple[str, str]]:
    """Links to the rules that apply to buyers in these regions (England's for the rest)."""
    out: list[tuple[str, str]] = []
    for region in regions:
        for rule in _RULES_BY_REGION.get(region, _ENGLAND):
            if rule not in out:
                out.append(rule)
    return out
