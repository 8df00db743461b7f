"""The procurement recommender on the shipped content: fields are used, and they help.

Behaviour, not figures: a repairs tender finds repairs case studies *because of* its CPV code,
priority themes show up as a reason, OCDS in its usual wrappers parses, and on the judged
procurement set (content/eval/procurements) ranking with the procurement's fields is at least as
good as ranking by its text alone. The figures themselves are in bench/recommend.py.

One index of the shipped content is built for the module (about 40 s with the real model).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from kb.services.recommend import ProcurementRequest, Weights, recommend

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "content" / "eval" / "procurements"


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_recommend", ROOT / "bench" / "recommend.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """(engine, catalogue) for the shipped content, built once for this module."""
    from kb.services.indexing import build
    from kb.settings import Settings
    from kb.store.catalogue import load_catalogue
    from kb.store.db import make_engine
    from search.engine import SearchEngine

    settings = Settings(content_dir=ROOT / "content", data_dir=tmp_path_factory.mktemp("rec"))
    build(settings)
    engine = SearchEngine.open(settings.index_dir, model_name=settings.model)
    return engine, load_catalogue(make_engine(settings.resolved_database_url))


REPAIRS = {
    "title": "Responsive repairs and voids for council homes",
    "description": "Day-to-day repairs, empty homes works and gas servicing for 8,000 council "
    "homes, with apprenticeships for tenants.",
    "items": [{"id": "1", "classification": {"scheme": "CPV", "id": "50700000"}}],
    "value": {"amount": 30000000, "currency": "GBP"},
    "deliveryAddresses": [{"region": "UKF"}],
}


def test_repairs_tender_finds_a_repairs_case_in_the_same_category(shipped):
    from kb.services.ocds import from_ocds

    engine, catalogue = shipped
    req = from_ocds({"tender": REPAIRS}, catalogue.taxonomy)
    assert req.divisions == ["50"]
    items = recommend(engine, catalogue, req, limit=5).items
    assert len(items) == 5
    same = [
        r
        for r in items
        if "50" in r.case_study.cpv
        and any(x.kind == "category" and x.text.startswith("Same category") for x in r.reasons)
    ]
    assert same, [r.case_study.slug for r in items]


def test_the_category_is_what_lifts_repairs_cases(shipped):
    """Without a CPV code, a CPV 50 case scores lower than with one: the field is used."""
    engine, catalogue = shipped
    text = "Repairs and maintenance contract for council homes"
    with_cpv = recommend(
        engine, catalogue, ProcurementRequest(title=text, cpv=["50700000"]), limit=52
    )
    without = recommend(engine, catalogue, ProcurementRequest(title=text), limit=52)
    score = {r.case_study.slug: r.score for r in without.items}
    for r in with_cpv.items:
        if "50" in r.case_study.cpv:
            assert r.score > score.get(r.case_study.slug, 0.0)


def test_priority_themes_add_a_themes_reason(shipped):
    engine, catalogue = shipped
    req = ProcurementRequest(
        title="Home care framework",
        description="Care and support at home for older and disabled adults.",
        cpv=["85312000"],
        themes=["vulnerable-groups"],
    )
    items = recommend(engine, catalogue, req, limit=5).items
    themed = [r for r in items if any(x.kind == "themes" for x in r.reasons)]
    assert themed
    for r in themed:
        reason = next(x for x in r.reasons if x.kind == "themes")
        assert reason.values == ["vulnerable-groups"]
        assert "vulnerable-groups" in r.case_study.themes
    # and without priorities, no case study claims to match them
    req.themes = []
    items = recommend(engine, catalogue, req, limit=5).items
    assert not any(x.kind == "themes" for r in items for x in r.reasons)


def test_release_package_and_bare_tender_parse_alike(shipped):
    from kb.services.ocds import from_ocds

    _, catalogue = shipped
    package = {
        "uri": "https://example.org/package.json",
        "publishedDate": "2026-01-05T09:00:00Z",
        "releases": [
            {"ocid": "ocds-test-1", "id": "1", "tag": ["planning"], "tender": {"title": "Old"}},
            {"ocid": "ocds-test-1", "id": "2", "tag": ["tender"], "tender": REPAIRS},
        ],
    }
    from_package = from_ocds(package, catalogue.taxonomy)
    from_tender = from_ocds(REPAIRS, catalogue.taxonomy)
    for req in (from_package, from_tender):
        assert req.title == REPAIRS["title"]
        assert req.divisions == ["50"]
        assert req.region == "east-midlands"
        assert req.value_gbp == 30_000_000


def test_every_judged_procurement_parses_with_judgements_for_real_case_studies(shipped):
    from kb.services.ocds import from_ocds

    _, catalogue = shipped
    bench = _bench()
    qrels = bench.load_qrels()
    lines = (EVAL / "procurements.jsonl").read_text("utf-8").splitlines()
    procurements = [json.loads(line) for line in lines if line.strip()]
    assert len(procurements) >= 15
    for p in procurements:
        req = from_ocds(p["ocds"], catalogue.taxonomy)
        assert req.title and req.description and req.divisions and req.region, p["_id"]
        assert all(d in catalogue.taxonomy.cpv_divisions for d in req.divisions), p["_id"]
        assert set(p["themes"]) <= set(catalogue.taxonomy.themes.terms), p["_id"]
        assert p["_id"] in qrels
    judged = {slug for rels in qrels.values() for slug in rels}
    assert judged <= set(catalogue.case_studies)
    assert {g for rels in qrels.values() for g in rels.values()} <= {1, 2}


def test_fields_help_on_the_judged_set(shipped):
    engine, catalogue = shipped
    bench = _bench()
    qrels = bench.load_qrels()
    reqs = bench.requests(bench.load_procurements(), catalogue.taxonomy)
    results = {
        name: bench.score(qrels, bench.run_for(engine, catalogue, reqs, w))
        for name, w in bench.variants(Weights()).items()
    }
    assert results["combined"]["ndcg@5"] >= results["text-only"]["ndcg@5"], results
    assert results["combined"]["recall@5"] >= results["text-only"]["recall@5"], results
