"""Writing the confident suggestions into a file's front matter, keeping its layout."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.content.frontmatter import split
from kb.content.taxonomy import Taxonomy
from kb.services.tagging.constants import DEFAULT_MIN_CONFIDENCE, MAX_CPV, MAX_OUTCOMES, MAX_THEMES
from kb.services.tagging.suggester import Suggestions


@dataclass
class WriteResult:
    themes: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    cpv: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.themes or self.outcomes or self.cpv)


def choose(
    suggestions: Suggestions, taxonomy: Taxonomy, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> WriteResult:
    """The confident suggestions that fit: at most 4 themes and 8 outcomes in all, and only
    outcomes that sit under one of the themes (or are cross-cutting), so the file stays valid."""
    chosen = WriteResult()
    themes = [s.slug for s in suggestions.themes if s.present]
    for s in suggestions.themes:
        if not s.present and s.confidence >= min_confidence and len(themes) < MAX_THEMES:
            themes.append(s.slug)
            chosen.themes.append(s.slug)
    outcomes = [s.slug for s in suggestions.outcomes if s.present]
    for s in suggestions.outcomes:
        if s.present or s.confidence < min_confidence or len(outcomes) >= MAX_OUTCOMES:
            continue
        term = taxonomy.outcomes.terms[s.slug]
        if term.cross_cutting or set(term.themes) & set(themes):
            outcomes.append(s.slug)
            chosen.outcomes.append(s.slug)
    cpv = [s.slug for s in suggestions.cpv if s.present]
    for s in suggestions.cpv:
        if not s.present and s.confidence >= min_confidence and len(cpv) < MAX_CPV:
            cpv.append(s.slug)
            chosen.cpv.append(s.slug)
    return chosen


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines
    y.indent(mapping=2, sequence=4, offset=2)  # the template's "  - title:" style
    return y


def _flow_seq(items: list[Any]):
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _extend(mapping: Any, key: str, values: list[Any], *, after: Sequence[str]) -> None:
    """Add ``values`` to the list at ``key``, keeping its style; create it in schema order."""
    from ruamel.yaml.comments import CommentedSeq

    if not values:
        return
    current = mapping.get(key) if key in mapping else None
    if isinstance(current, CommentedSeq):
        was_flow = current.fa.flow_style() or not current
        current.extend(values)
        if was_flow:
            current.fa.set_flow_style()
        return
    if key in mapping:  # null or a scalar: replace with a list
        mapping[key] = _flow_seq(values)
        return
    keys = list(mapping.keys())
    pos = 0
    for name in after:
        if name in keys:
            pos = max(pos, keys.index(name) + 1)
    mapping.insert(pos, key, _flow_seq(values))


_ORDER = (
    "title",
    "organisation",
    "organisation_type",
    "region",
    "years",
    "summary",
    "themes",
    "outcomes",
)


def apply_to_text(text: str, chosen: WriteResult) -> str:
    """``text`` with ``chosen`` added to its front matter; everything else byte-for-byte."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    newline = "\r\n" if "\r\n" in text else "\n"
    norm = text.replace("\r\n", "\n")
    yaml_text, body, _ = split(norm)  # raises FrontMatterError without front matter
    if not chosen.changed:
        return text
    lines = norm.split("\n")
    closing = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    y = _yaml()
    data = y.load(yaml_text)
    if data is None:
        from ruamel.yaml.comments import CommentedMap

        data = CommentedMap()
    if not hasattr(data, "insert"):
        raise ValueError("the front matter is not a mapping of 'field: value' lines")
    _extend(data, "themes", chosen.themes, after=_ORDER[: _ORDER.index("themes")])
    _extend(data, "outcomes", chosen.outcomes, after=_ORDER[: _ORDER.index("outcomes")])
    proc = data.get("procurement")
    if chosen.cpv and hasattr(proc, "insert"):
        _extend(
            proc,
            "cpv",
            [DoubleQuotedScalarString(c) for c in chosen.cpv],
            after=("scope",),
        )
    buf = io.StringIO()
    y.dump(data, buf)
    head = lines[0] + "\n" + buf.getvalue() + lines[closing] + "\n"
    out = head + body
    return out.replace("\n", newline) if newline != "\n" else out


def write_suggestions(path: Path, chosen: WriteResult) -> bool:
    """Apply ``chosen`` to the file at ``path``; returns whether it changed."""
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8")
    bom = text.startswith("\ufeff")
    new = apply_to_text(text.removeprefix("\ufeff"), chosen)
    if bom:
        new = "\ufeff" + new
    if new == text:
        return False
    Path(path).write_bytes(new.encode("utf-8"))
    return True
