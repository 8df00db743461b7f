"""The social value plan on the fixture library and the fixture knowledge map (tests/fixtures/plan).

Behaviour, not figures: value bands change the plan, a contract kind with no case study is
flagged, nothing only a buyer can do is asked of a supplier, the GET address reproduces the API's
plan, the Word file opens and holds the outcomes and sources, and bad input gets a clear 4xx.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kb.content.planguide import check_plan_guide, load_plan_guide
from kb.content.taxonomy import load_taxonomy
from kb.services.amounts import AmountError, parse_pounds
from kb.services.plan import make_plan
from kb.services.recommend import ProcurementRequest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_PLAN = ROOT / "tests" / "fixtures" / "plan"


@pytest.fixture(scope="module")
def served(client, built_settings):
    """(guide, catalogue, engine) as the app serves them."""
    snap = client.app.state.kb.snapshot()
    guide = load_plan_guide(built_settings.content_dir / "plan", snap.catalogue.taxonomy)
    return guide, snap.catalogue, snap.engine


def _plan(served, **fields):
    guide, catalogue, engine = served
    return make_plan(guide, catalogue, engine, ProcurementRequest(**fields))


@pytest.mark.parametrize(
    ("text", "pounds"),
    [
        ("250000", 250_000),
        ("£250,000", 250_000),
        ("2m", 2_000_000),
        ("£2,000,000", 2_000_000),
        ("2.5 million", 2_500_000),
        ("£1.2bn", 1_200_000_000),
        ("80k", 80_000),
        ("£4m ex VAT", 4_000_000),
    ],
)
def test_values_as_officers_type_them(text, pounds):
    assert parse_pounds(text) == pounds


@pytest.mark.parametrize("text", ["lots", "-5", "nan", "inf", "1e400", "£2x", "9" * 30])
def test_absurd_values_are_refused_plainly(text):
    with pytest.raises(AmountError, match=r"pounds|or less"):
        parse_pounds(text)


def test_value_bands_change_the_plan(served):
    small = _plan(served, title="Refuse collection", cpv=["90511000"], value_gbp=50_000)
    large = _plan(served, title="Refuse collection", cpv=["90511000"], value_gbp=45_000_000)
    assert len(small.outcomes) == 2 and len(large.outcomes) == 4  # the fixture map has 4
    assert small.procurement.ask == "commitment" and large.procurement.ask == "plan"
    assert small.outcomes[0].ask != large.outcomes[0].ask
    assert "plan with targets" in large.outcomes[0].ask


def test_the_category_comes_from_the_code_or_the_words(served):
    by_code = _plan(served, title="Collection service", cpv=["90511000-2"])
    assert by_code.procurement.category.code == "90511"
    by_words = _plan(served, title="Kerbside refuse collection and recycling")
    assert by_words.procurement.category.code == "90511"
    assert "refuse collection" in by_words.procurement.category_how
    narrower = _plan(served, title="Refuse collection", cpv=["90000000"])
    assert narrower.procurement.category.code == "90511"  # the words refine the division


def test_outcomes_come_from_the_map_not_from_ranked_tags(served):
    plan = _plan(served, title="Supply of refuse collection vehicles", cpv=["34144512"])
    slugs = [o.slug for o in plan.outcomes]
    assert slugs[0] == "carbon-reduction" and "clean-air-and-sustainable-transport" in slugs
    assert "food-and-poverty" not in slugs  # what the school-meals fixture case study delivers
    assert plan.outcomes[0].why[0].startswith("A vehicle's fuel")


def test_no_match_is_flagged_and_never_called_close(served):
    plan = _plan(served, title="Supply of refuse collection vehicles", cpv=["34144512"])
    assert plan.match_level in ("partial", "none")
    assert "No case study in the library is about refuse collection vehicles" in plan.match_message
    close = _plan(served, title="Waste collection with fair pay", cpv=["90511000"])
    assert close.match_level == "close"
    assert close.case_studies[0].case_study.slug == "fixture-waste-collection-living-wage"
    assert close.case_studies[0].about


def test_evidence_and_reasons_are_specific(served):
    plan = _plan(
        served,
        title="Household waste collection",
        cpv=["90511000"],
        value_gbp=3_000_000,
        buyer_type="local-authority",
    )
    wage = next(o for o in plan.outcomes if o.slug == "real-living-wage")
    assert (
        wage.evidence and wage.evidence[0].case_study.slug == "fixture-waste-collection-living-wage"
    )
    assert wage.evidence[0].ask["status"] == "delivered"
    reasons = [r.text for r in plan.case_studies[0].recommendation.reasons]
    assert "About the same kind of contract: Refuse collection" in reasons
    assert any(r.startswith("Its contract required") for r in reasons)
    assert "Same type of buyer: Local authority" in reasons
    assert len(reasons) == len(set(reasons)), reasons  # each reason once
    assert not any("Similar need to your description" in r for r in reasons)
    assert plan.weighting.similar and plan.weighting.similar[0][1]["social_value_percent"] == 10


def test_nothing_only_a_buyer_can_do_is_asked_of_a_supplier(served):
    plan = _plan(
        served,
        title="Waste collection",
        description="We are considering insourcing the service to a council-owned company.",
        cpv=["90511000"],
        value_gbp=20_000_000,
    )
    assert "insourcing-and-public-ownership" not in [o.slug for o in plan.outcomes]
    assert [slug for slug, _, _ in plan.buyer_notes] == ["insourcing-and-public-ownership"]


def test_rules_follow_nation_value_and_kind(served):
    scot = _plan(
        served, title="Waste collection", cpv=["90511000"], value_gbp=5_000_000, region="scotland"
    )
    assert "scotland-community-benefits" in [r.slug for r in scot.rules]
    under = _plan(
        served, title="Waste collection", cpv=["90511000"], value_gbp=3_000_000, region="scotland"
    )
    assert "scotland-community-benefits" not in [r.slug for r in under.rules]
    ni = _plan(
        served,
        title="Waste collection",
        cpv=["90511000"],
        value_gbp=500_000,
        region="northern-ireland",
    )
    assert ni.weighting.national_minimum == 10
    goods = _plan(
        served,
        title="Refuse vehicles",
        cpv=["34144512"],
        value_gbp=500_000,
        region="northern-ireland",
    )
    assert goods.weighting.national_minimum is None  # the fixture rule is for services


def test_short_contracts_leave_out_what_needs_longer(served):
    plan = _plan(
        served,
        title="Construction works",
        cpv=["45000000"],
        value_gbp=20_000_000,
        duration_months=6,
    )
    assert "apprenticeships" not in [o.slug for o in plan.outcomes]
    assert any("Apprenticeships is left out" in n for n in plan.notes)
    assert plan.procurement.ask == "commitment"


def test_the_get_address_reproduces_the_api_plan(client):
    body = {
        "title": "Household waste collection",
        "cpv": ["90511000"],
        "value": "£3m",
        "duration_months": 84,
        "region": "north-east",
        "buyer_type": "local-authority",
        "themes": ["employment"],
    }
    api = client.post("/api/v1/plan", json=body)
    assert api.status_code == 200, api.text
    data = api.json()
    assert data["match"]["level"] == "close"
    assert data["procurement"]["value"] == 3_000_000
    assert data["procurement"]["value_band"]["slug"] == "large"
    page = client.get(data["links"]["page"])
    assert page.status_code == 200
    for o in data["outcomes"]:
        assert o["label"] in page.text and o["question"] in page.text
    md = client.get(data["links"]["markdown"])
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert all(o["label"] in md.text for o in data["outcomes"])
    again = client.get(
        "/plan",
        params={
            "title": "Household waste collection",
            "cpv": "90511000",
            "value": "3m",
            "months": "84",
            "region": "north-east",
            "buyer": "local-authority",
            "theme": "employment",
        },
    )
    assert again.text.count("app-plan-outcome") == len(data["outcomes"])


def test_the_word_file_opens_and_holds_the_outcomes_and_sources(client):
    from docx import Document

    r = client.get(
        "/plan.docx",
        params={"title": "Household waste collection", "cpv": "90511000", "value": "3m"},
    )
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Real Living Wage and fair pay" in text
    assert "Award question:" in text and "https://www.example.org/test-guidance" in text
    assert "Test measure for real-living-wage" in cells
    assert "How we read your procurement" in text


def test_ocds_import_redirects_to_a_shareable_plan(client):
    release = {
        "tender": {
            "title": "Refuse collection",
            "items": [{"classification": {"scheme": "CPV", "id": "90511000"}}],
            "value": {"amount": 2500000, "currency": "GBP"},
            "contractPeriod": {"durationInDays": 1826},
        }
    }
    r = client.post("/plan", data={"ocds": json.dumps(release)}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/plan?") and "value=2500000" in r.headers["location"]
    assert "months=60" in r.headers["location"]
    bad = client.post("/plan", data={"ocds": "{not json"})
    assert bad.status_code == 400 and "Could not read the OCDS" in bad.text
    api = client.post("/api/v1/plan", json={**release, "themes": ["environment"]})
    assert api.status_code == 200 and api.json()["procurement"]["themes"] == ["environment"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": "Waste", "cpv": ["99999999"]}, "no CPV division 99"),
        ({"title": "Waste", "cpv": ["abc"]}, "not a CPV code"),
        ({"title": "Waste", "value": "lots"}, "'value'"),
        ({"title": "Waste", "value": 10**15}, "'value'"),
        ({"title": "Waste", "buyer_type": "council"}, "unknown buyer_type"),
        ({"tender": {"title": "Waste", "value": {"amount": "x"}}}, "must be a number"),
        ({"tender": {"title": "W", "contractPeriod": {"durationInDays": -3}}}, "durationInDays"),
        ({}, "describe the procurement"),
    ],
)
def test_bad_input_gets_a_clear_4xx(client, body, message):
    r = client.post("/api/v1/plan", json=body)
    assert r.status_code in (400, 422), r.text
    assert message in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"title": "Waste", "cpv": "99999999"}, "cpv"),
        ({"title": "Waste", "value": "1e400"}, "value"),
        ({"title": "Waste", "months": "forever"}, "months"),
        ({"title": "Waste", "region": "mars"}, "region"),
    ],
)
def test_form_errors_keep_the_other_fields(client, params, field):
    r = client.get("/plan", params={**params, "description": "Keep this text"})
    assert r.status_code == 400
    assert f'href="#{field}"' in r.text and "Keep this text" in r.text
    assert client.get("/plan.md", params=params).status_code == 400


def test_the_shipped_guidance_is_valid(repo_root):
    taxonomy = load_taxonomy(repo_root / "content" / "taxonomy.yaml")
    slugs = {p.stem for p in (repo_root / "content" / "casestudies").glob("*.md")}
    guide, problems = check_plan_guide(repo_root / "content" / "plan", taxonomy, slugs)
    assert not problems, "\n".join(str(p) for p in problems)
    assert len({c.code[:2] for c in guide.categories.values()}) >= 25
    for code in ("34144", "48", "90511", "9091", "55524", "60", "85", "45", "71"):
        assert code in guide.categories, code
    for cat in guide.categories.values():
        assert not {o.outcome for o in cat.opportunities} & {
            "insourcing-and-public-ownership",
            "community-asset-transfer",
            "anchor-institution-collaboration",
        }


def test_a_broken_guide_is_reported_with_positions(tmp_path, repo_root):
    import shutil

    shutil.copytree(FIXTURE_PLAN, tmp_path / "plan")
    path = tmp_path / "plan" / "categories.yaml"
    path.write_text(
        path.read_text().replace("outcome: waste-reduction", "outcome: waste-reductio", 1)
    )
    taxonomy = load_taxonomy(repo_root / "content" / "taxonomy.yaml")
    guide, problems = check_plan_guide(tmp_path / "plan", taxonomy)
    assert guide is None
    assert any(
        "unknown outcome 'waste-reductio'" in p.message and "waste-reduction" in p.message
        for p in problems
    )
    assert all(p.line > 1 for p in problems)
