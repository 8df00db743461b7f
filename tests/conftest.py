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
