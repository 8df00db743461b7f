"""Shared fixtures: a tiny content library in a temporary folder, and settings pointing at it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A content folder with the real taxonomy and the synthetic fixture case studies."""
    content = tmp_path / "content"
    (content / "casestudies").mkdir(parents=True)
    shutil.copy(ROOT / "content" / "taxonomy.yaml", content / "taxonomy.yaml")
    for f in sorted((FIXTURES / "casestudies").glob("*.md")):
        shutil.copy(f, content / "casestudies" / f.name)
    return content


@pytest.fixture
def postgres_url() -> str:
    """An empty PostgreSQL database (started by `make test`); skipped locally without one."""
    import os

    from sqlmodel import SQLModel

    from kb.store.db import make_engine

    url = os.environ.get("KB_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("KB_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests")
        pytest.skip("no PostgreSQL server (set KB_TEST_POSTGRES_URL, or run `make test`)")
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)  # each test starts from an empty database
    engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return Settings(content_dir=content_dir, data_dir=tmp_path / "var")


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fixture library, validated, loaded and indexed once with the real model."""
    from kb.services.indexing import build

    root = tmp_path_factory.mktemp("built")
    content = root / "content"
    (content / "casestudies").mkdir(parents=True)
    shutil.copy(ROOT / "content" / "taxonomy.yaml", content / "taxonomy.yaml")
    for f in sorted((FIXTURES / "casestudies").glob("*.md")):
        shutil.copy(f, content / "casestudies" / f.name)
    shutil.copytree(ROOT / "content" / "pages", content / "pages")  # the shipped guidance
    shutil.copytree(FIXTURES / "plan", content / "plan")  # a small knowledge map (test data)
    settings = Settings(
        content_dir=content,
        data_dir=root / "var",
        repository_url="https://github.com/example/social-value-kb",
    )
    build(settings)
    return settings


@pytest.fixture(scope="session")
def app(built_settings: Settings):
    from web.app import create_app

    return create_app(built_settings)


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def xss_settings(tmp_path_factory) -> Settings:
    """A library of hostile text, plus a record that bypassed validation (raw HTML, javascript:)."""
    import datetime as dt

    from sqlmodel import Session

    from kb.services.indexing import build
    from kb.store.db import CaseStudyRecord, CaseStudyTheme, Source, make_engine

    root = tmp_path_factory.mktemp("xss")
    content = root / "content"
    (content / "casestudies").mkdir(parents=True)
    shutil.copy(ROOT / "content" / "taxonomy.yaml", content)
    for f in (FIXTURES / "xss").glob("*.md"):
        shutil.copy(f, content / "casestudies" / f.name)
    shutil.copytree(FIXTURES / "plan", content / "plan")
    settings = Settings(content_dir=content, data_dir=root / "var")
    build(settings)
    # A record that bypassed validation: raw HTML in the body and a javascript: source.
    with Session(make_engine(settings.resolved_database_url)) as s:
        s.add(
            CaseStudyRecord(
                slug="xss-bypassed",
                title="Bypassed <script>window.__xss='db'</script>",
                organisation="<img src=x onerror=alert(1)>",
                organisation_type="local-authority",
                year_start=2020,
                summary="<svg onload=alert(1)>",
                evidence="self-reported",
                scope="contract",
                last_reviewed=dt.date(2026, 1, 1),
                path="x",
                body="## Challenge\n\n<script>window.__xss='body'</script>\n\n[x](javascript:alert(1))\n",
                content_hash="x",
            )
        )
        s.add(CaseStudyTheme(case_study_slug="xss-bypassed", theme_slug="employment"))
        s.add(
            Source(
                case_study_slug="xss-bypassed",
                position=0,
                title="<b>bad</b>",
                url="javascript:alert(1)",
                type="own",
            )
        )
        s.commit()
    return settings
