"""Reading a draft case study into the parts the suggester weighs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from kb.content.frontmatter import FrontMatterError, split
from kb.services.tagging.constants import PASSAGE_WORDS


@dataclass
class Draft:
    """What the suggester reads from a (possibly incomplete) case-study file."""

    title: str = ""
    summary: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def head(self) -> str:
        """The text embedded for "similar case studies": the same as the search index's."""
        if self.title and self.summary:
            return f"{self.title}. {self.summary}"
        return self.title or self.summary

    def listed(self, key: str) -> list[str]:
        value = self.meta.get(key)
        if key == "cpv":
            proc = self.meta.get("procurement")
            value = proc.get("cpv") if isinstance(proc, dict) else None
        if isinstance(value, list):
            return [str(v) for v in value if isinstance(v, (str, int))]
        return []


_HEADING_RE = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _sections(body: str) -> list[tuple[str, str]]:
    marks = list(_HEADING_RE.finditer(body))
    out: list[tuple[str, str]] = []
    lead = body[: marks[0].start()] if marks else body
    if lead.strip():
        out.append(("", lead.strip()))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        text = body[m.end() : end].strip()
        if text:
            out.append((m.group(1).strip(), text))
    return out


def _scalar_line(yaml_text: str, key: str) -> str:
    m = re.search(rf"^{key}:\s*(.+)$", yaml_text, re.MULTILINE)
    return m.group(1).strip().strip("\"'") if m else ""


def read_draft(text: str) -> Draft:
    """Title, summary, sections and whatever front matter parses; never raises."""
    try:
        yaml_text, body, _ = split(text)
    except FrontMatterError:
        return Draft(sections=_sections(text))
    meta: dict[str, Any] = {}
    try:
        loaded = yaml.safe_load(yaml_text)
        if isinstance(loaded, dict):
            meta = loaded
    except yaml.YAMLError:
        meta = {}
    title = str(meta["title"]) if isinstance(meta.get("title"), str) else ""
    summary = str(meta["summary"]) if isinstance(meta.get("summary"), str) else ""
    if not meta:  # broken YAML: still use the obvious one-line fields
        title, summary = _scalar_line(yaml_text, "title"), _scalar_line(yaml_text, "summary")
    return Draft(" ".join(title.split()), " ".join(summary.split()), _sections(body), meta)


def passages(draft: Draft, max_words: int = PASSAGE_WORDS) -> list[tuple[str, str, str]]:
    """(where, plain text, text to embed) for the head and each chunk of each section."""
    from search.documents import markdown_to_text, split_words

    out: list[tuple[str, str, str]] = []
    if draft.head:
        out.append(("title and summary", draft.head, draft.head))
    for heading, body in draft.sections:
        plain = markdown_to_text(body)
        for chunk in split_words(plain, max_words):
            where = f"'{heading}' section" if heading else "body"
            context = f"{draft.title}. {heading}." if heading else f"{draft.title}."
            out.append((where, chunk, f"{context} {chunk}" if draft.title else chunk))
    return out
