"""Property-based tests: any input gives problems or a case study, never a crash."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.content.frontmatter import FrontMatterError, parse
from kb.content.render import render_markdown
from kb.content.taxonomy import load_taxonomy
from kb.content.validate import check_bytes

ROOT = Path(__file__).resolve().parent.parent
VALID = (
    ROOT / "tests" / "fixtures" / "casestudies" / "example-council-local-labour.md"
).read_text()
TAXONOMY = load_taxonomy(ROOT / "content" / "taxonomy.yaml")
TODAY = dt.date(2026, 11, 25)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(raw: bytes):
    cs, problems = check_bytes("x.md", "fuzz-case", raw, TAXONOMY, TODAY)
    assert (cs is None) == any(p.severity == "error" for p in problems)
    for p in problems:
        assert p.code != "internal-error", p.message  # the safety net must never be needed
        assert p.line >= 1 and p.column >= 1 and p.message
    return cs, problems


@FAST
@given(st.binary(max_size=2048))
def test_any_bytes(raw):
    _check(raw)


@FAST
@given(st.text(max_size=1500))
def test_any_text_after_front_matter_marker(text):
    _check(("---\n" + text).encode("utf-8", "surrogatepass"))


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.dates(),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@FAST
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "title",
                "organisation",
                "organisation_type",
                "region",
                "years",
                "summary",
                "themes",
                "outcomes",
                "procurement",
                "evidence",
                "sources",
                "last_reviewed",
                "extra",
            ]
        ),
        yaml_values,
        max_size=13,
    )
)
def test_any_front_matter_mapping(front):
    try:
        text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n\n## Challenge\nx\n"
    except yaml.YAMLError:
        return
    _check(text.encode("utf-8", "surrogatepass"))


@FAST
@given(st.data())
def test_mutating_a_valid_file(data):
    """Delete, duplicate or replace a slice of a valid file: still problems or a case study."""
    text = VALID
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 80)))
    insert = data.draw(st.text(max_size=30))
    _check((text[:i] + insert + text[j:]).encode("utf-8", "surrogatepass"))


@FAST
@given(st.text(max_size=500))
def test_frontmatter_parse_raises_only_its_own_error(text):
    with contextlib.suppress(FrontMatterError):
        parse(text)


@FAST
@given(st.text(max_size=800))
def test_rendered_markdown_never_contains_markup_from_input(text):
    html = render_markdown(text)
    lowered = html.lower()
    for tag in ("<script", "<iframe", "<img src=x onerror", "<style", "<object"):
        assert tag not in lowered
    assert 'href="javascript:' not in lowered and 'href="data:' not in lowered
    assert 'src="javascript:' not in lowered and 'src="data:' not in lowered


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](javascript:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "[x](vbscript:msgbox)",
        "<svg onload=alert(1)>",
        "[x]( javascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "<https://ok.example/a?<script>>",
    ],
)
def test_known_xss_payloads_are_neutralised(payload):
    html = render_markdown(payload).lower()
    assert (
        "<script" not in html
        and "<img" not in html
        and "<svg" not in html
        and "<a href='" not in html
    )
    assert (
        'href="javascript' not in html and 'href="data' not in html and 'href="vbscript' not in html
    )
    assert 'src="javascript' not in html
