from pathlib import Path

import pytest
import yaml

from kb.content.taxonomy import THEME_SLUGS, TaxonomyError, load_taxonomy, parse_taxonomy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(ROOT / "content" / "taxonomy.yaml")


def test_exactly_the_brief_eight_themes(taxonomy):
    assert tuple(t.slug for t in taxonomy.themes) == THEME_SLUGS
    labels = [t.label for t in taxonomy.themes]
    assert "Regeneration & Economic Development" in labels
    assert "Support Vulnerable Groups" in labels


def test_every_term_has_label_description_and_themes_have_synonyms(taxonomy):
    for vocab in (taxonomy.themes, taxonomy.outcomes):
        for term in vocab:
            assert term.label and len(term.description) > 40, term.slug
            assert len(term.synonyms) >= 3, term.slug


def test_outcomes_sit_under_known_themes_and_every_theme_has_outcomes(taxonomy):
    assert 20 <= len(taxonomy.outcomes) <= 40
    for theme in taxonomy.themes:
        assert len(taxonomy.outcomes_for_theme(theme.slug)) >= 3, theme.slug


def test_framework_mappings_present(taxonomy):
    for theme in taxonomy.themes:
        assert set(theme.frameworks) == {"ppn_06_20", "ppn_002_missions", "toms_themes"}, theme.slug
    env = taxonomy.themes.terms["environment"]
    assert env.frameworks["ppn_002_missions"] == ["Make Britain a clean energy superpower"]


def test_regions_are_the_twelve_itl1_regions_plus_national(taxonomy):
    itl1 = [r for r in taxonomy.regions if r.itl1]
    assert len(itl1) == 12
    assert {r.itl1 for r in itl1} == {f"TL{c}" for c in "CDEFGHIJKLMN"}


def test_cpv_divisions_are_two_digit_codes(taxonomy):
    codes = [t.slug for t in taxonomy.cpv_divisions]
    assert all(len(c) == 2 and c.isdigit() for c in codes)
    assert taxonomy.cpv_divisions.label("45") == "Construction work"
    assert taxonomy.cpv_divisions.label("85") == "Health and social work services"


def test_stages_and_evidence_levels(taxonomy):
    assert [s.slug for s in taxonomy.procurement_stages] == [
        "policy-strategy",
        "pre-procurement",
        "specification",
        "evaluation-award",
        "contract-management",
    ]
    assert [e.slug for e in taxonomy.evidence_levels] == [
        "independent-evaluation",
        "self-reported",
        "commitments-only",
        "policy-only",
    ]


@pytest.mark.parametrize(
    ("vocab", "typo", "expected"),
    [
        ("themes", "local-business", "local-businesses"),
        ("themes", "Environmental Impact", "environment"),
        ("outcomes", "living wage", "real-living-wage"),
        ("regions", "Yorkshire", "yorkshire-and-the-humber"),
        ("organisation_types", "council", "local-authority"),
    ],
)
def test_suggestions(taxonomy, vocab, typo, expected):
    assert taxonomy.vocab(vocab).suggest(typo)[0] == expected


def test_broken_taxonomy_is_refused():
    data = yaml.safe_load((ROOT / "content" / "taxonomy.yaml").read_text())
    data["outcomes"][0]["themes"] = ["no-such-theme"]
    with pytest.raises(TaxonomyError, match="unknown theme"):
        parse_taxonomy(data)
    data = yaml.safe_load((ROOT / "content" / "taxonomy.yaml").read_text())
    data["themes"] = data["themes"][:7]
    with pytest.raises(TaxonomyError, match="exactly"):
        parse_taxonomy(data)


def test_the_default_model_is_named_once_for_the_app_and_the_search_package():
    from kb.settings import Settings
    from search.embedding import DEFAULT_MODEL

    assert Settings(_env_file=None).model == DEFAULT_MODEL


def test_the_models_literals_are_the_rules():
    from typing import get_args

    from kb.content import rules
    from kb.content.model import AskStatus, Scope

    assert get_args(Scope) == rules.SCOPES
    assert get_args(AskStatus) == rules.ASK_STATUSES
