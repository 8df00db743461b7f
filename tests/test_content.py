"""The shipped library: valid, large enough, and covering every theme."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kb.content.library import load_library

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def library():
    return load_library(ROOT / "content")


def test_shipped_content_is_valid(library):
    assert library.report.ok, [str(p) for p in library.report.errors]


def test_at_least_forty_case_studies_and_five_per_theme(library):
    assert len(library.case_studies) >= 40
    per_theme = Counter(t for cs in library.case_studies for t in cs.meta.themes)
    for theme in library.taxonomy.themes:
        assert per_theme[theme.slug] >= 5, (theme.slug, per_theme[theme.slug])


def test_brief_examples_are_included(library):
    slugs = {cs.slug for cs in library.case_studies}
    assert "south-tyneside-community-recognition" in slugs
    assert "torbay-sv-policy-regeneration" in slugs


def test_spread_of_regions_and_organisation_types(library):
    regions = {r for cs in library.case_studies for r in cs.meta.regions}
    org_types = {cs.meta.organisation_type for cs in library.case_studies}
    cpv = {c for cs in library.case_studies for c in cs.meta.procurement.cpv}
    assert len(regions) >= 10 and len(org_types) >= 5 and len(cpv) >= 8


def test_every_case_study_cites_sources(library):
    for cs in library.case_studies:
        assert cs.meta.sources and all(s.url.startswith("https://") for s in cs.meta.sources)
