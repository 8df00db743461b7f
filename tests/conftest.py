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
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return Settings(content_dir=content_dir, data_dir=tmp_path / "var")


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fixture library, validated, loaded and indexed once with the real model."""
    from kb.indexing import build

    root = tmp_path_factory.mktemp("built")
    content = root / "content"
    (content / "casestudies").mkdir(parents=True)
    shutil.copy(ROOT / "content" / "taxonomy.yaml", content / "taxonomy.yaml")
    for f in sorted((FIXTURES / "casestudies").glob("*.md")):
        shutil.copy(f, content / "casestudies" / f.name)
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
