"""Guidance pages for officers (content/pages/*.md): sourced Markdown with a short front matter.

A page is read with the same front-matter parser as a case study (positions, no aliases) and
rendered with the same safe Markdown renderer; its level-2 headings become link anchors, so a
case study or a plan can point at the rule that applies ("/policy#procurement-act-2023").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.content.files import UnsafeFile, read_limited
from kb.content.frontmatter import FrontMatterError, parse
from kb.content.render import render_markdown
from kb.content.rules import MAX_FILE_BYTES

_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


class PageError(ValueError):
    """A guidance page that cannot be shown; the message says which file and why."""


@dataclass(frozen=True)
class PageSource:
    title: str
    url: str


@dataclass
class GuidancePage:
    slug: str
    title: str
    summary: str
    last_reviewed: dt.date
    sources: list[PageSource]
    body: str
    #: (anchor, heading) for each level-2 section, in order
    sections: list[tuple[str, str]] = field(default_factory=list)

    @property
    def html(self) -> str:
        """The body as safe HTML, each section heading carrying its anchor as ``id``."""
        out = render_markdown(self.body)
        for anchor, heading in self.sections:
            out = out.replace(
                f'<h2 class="govuk-heading-m">{_escaped(heading)}</h2>',
                f'<h2 class="govuk-heading-m" id="{anchor}">{_escaped(heading)}</h2>',
                1,
            )
        return out


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def anchor_for(heading: str) -> str:
    """``Scotland: Procurement Reform (Scotland) Act 2014`` -> ``scotland-procurement-reform-scotland-act-2014``."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def load_page(path: Path) -> GuidancePage:
    """Read and check one page. Raises :class:`PageError` with the file and the problem."""
    try:
        raw = read_limited(path)
    except UnsafeFile as exc:
        raise PageError(f"{path}: {exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise PageError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes")
    try:
        parsed = parse(raw.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, FrontMatterError) as exc:
        raise PageError(f"{path}: {exc}") from exc
    d = parsed.data
    for key in ("title", "summary"):
        if not isinstance(d.get(key), str) or not d[key].strip():
            raise PageError(f"{path}: '{key}' must be a non-empty text")
    reviewed = d.get("last_reviewed")
    if not isinstance(reviewed, dt.date):
        raise PageError(f"{path}: 'last_reviewed' must be a date written as YYYY-MM-DD")
    sources = []
    for i, src in enumerate(d.get("sources") or []):
        url = src.get("url") if isinstance(src, dict) else None
        title = src.get("title") if isinstance(src, dict) else None
        if not (isinstance(url, str) and url.startswith("https://") and isinstance(title, str)):
            raise PageError(f"{path}: sources[{i}] needs a 'title' and an https 'url'")
        sources.append(PageSource(title, url))
    if not sources:
        raise PageError(f"{path}: list at least one source")
    sections = [(anchor_for(h), h) for h in _HEADING.findall(parsed.body)]
    return GuidancePage(
        path.stem,
        d["title"].strip(),
        d["summary"].strip(),
        reviewed,
        sources,
        parsed.body,
        sections,
    )
