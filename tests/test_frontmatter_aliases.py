"""YAML anchors and aliases are refused wherever they sit, and the work per file is bounded."""

from __future__ import annotations

import time

import pytest

from kb.content.frontmatter import MAX_NODES, FrontMatterError, parse


def _file(yaml_text: str) -> str:
    return f"---\n{yaml_text}\n---\n\n## Challenge\nx\n"


@pytest.mark.parametrize(
    "yaml_text",
    [
        "a: &x 1\nb: *x",  # top level
        "a: {k: &x [1, 2]}\nb: {k: *x}",  # aliases nested in one-key mappings
        "a: [&x {k: 1}]\nb: [*x, *x]",  # inside lists
        "a:\n  b:\n    c: &deep yes\nd:\n  e: *deep",  # deep in block mappings
        "a: &only 1",  # an anchor with no alias is refused too
    ],
)
def test_anchor_or_alias_anywhere_is_refused_with_its_position(yaml_text):
    with pytest.raises(FrontMatterError) as exc:
        parse(_file(yaml_text))
    assert "anchors and aliases" in exc.value.message
    assert exc.value.line >= 2


def test_alias_bomb_in_nested_mappings_fails_fast():
    # The "billion laughs" shape that bypassed the old guard: every level is a one-key mapping.
    lines = ["l0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"l{i}: &a{i} [{{k: {prev}}}, {{k: {prev}}}, {{k: {prev}}}, {{k: {prev}}}]")
    start = time.perf_counter()
    with pytest.raises(FrontMatterError):
        parse(_file("\n".join(lines)))
    assert time.perf_counter() - start < 2  # generous: it is refused before anything expands


def test_node_budget_bounds_a_huge_flat_file():
    text = _file("big: [" + ", ".join("1" for _ in range(MAX_NODES + 10)) + "]")
    with pytest.raises(FrontMatterError, match="far too large"):
        parse(text)


def test_ordinary_front_matter_still_parses_with_positions():
    parsed = parse(_file("title: A title\nthemes: [employment, assets]\nyears: {start: 2020}"))
    assert parsed.data["themes"] == ["employment", "assets"]
    assert parsed.position(("themes", 1)) == (3, 22)
    assert parsed.position(("years", "start")) == (4, 9)
