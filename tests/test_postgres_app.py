"""The same app against PostgreSQL through KB_DATABASE_URL, with no code changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kb.services.indexing import build
from kb.settings import Settings
from web.app import create_app


@pytest.fixture
def pg_settings(tmp_path, content_dir, postgres_url) -> Settings:
    return Settings(content_dir=content_dir, data_dir=tmp_path / "var", database_url=postgres_url)


def test_build_and_serve_on_postgresql(pg_settings):
    result = build(pg_settings)
    with TestClient(create_app(pg_settings)) as client:
        health = client.get("/api/v1/healthz").json()
        assert health["status"] == "ok", health
        assert health["case_studies"] == len(result.library.case_studies)
        page = client.get("/case-studies/fixture-school-catering-food")
        assert page.status_code == 200 and "Testshire County Council" in page.text
        found = client.get("/api/v1/search", params={"q": "Real Living Wage"}).json()
        assert found["results"][0]["slug"] == "fixture-waste-collection-living-wage"
        rec = client.post("/api/v1/recommend", json={"title": "Home care", "cpv": ["85"]}).json()
        assert rec["recommendations"][0]["slug"] == "fixture-homecare-ethical-charter"
