"""Checks of a case study's Markdown body: the four sections, raw HTML and link schemes."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from kb.content.frontmatter import ParsedFile
from kb.content.report import Checker
from kb.content.rules import SAFE_LINK_SCHEMES, SECTION_NAMES
from kb.content.text import first_unsafe

SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")

_checker_md = MarkdownIt("commonmark", {"html": True}).enable("table")
# See every link, including javascript:, to report it.
_checker_md.validateLink = lambda url: True  # type: ignore[method-assign]


def _locate(body_lines: list[str], start: int, end: int, needle: str) -> tuple[int, int]:
    for i in range(start, min(end, len(body_lines))):
        col = body_lines[i].find(needle)
        if col >= 0:
            return i, col + 1
    return start, 1


def _check_inline(
    chk: Checker, children: list[Token], lines: list[str], mapped: list[int], base: int
) -> None:
    """Raw HTML and unsafe link schemes inside one paragraph or heading."""
    for child in children:
        if child.type == "html_inline":
            ln, col = _locate(lines, mapped[0], mapped[1], child.content)
            chk.add(
                "raw-html",
                f"raw HTML is not allowed in the body: {child.content[:40]!r}",
                base + ln,
                col,
            )
        elif child.type in ("link_open", "image"):
            href = str(child.attrs.get("href") or child.attrs.get("src") or "")
            m = SCHEME_RE.match(href.strip())
            if m and m.group(1).lower() not in SAFE_LINK_SCHEMES:
                ln, col = _locate(lines, mapped[0], mapped[1], href)
                chk.add(
                    "unsafe-link",
                    f"link must be https, http or mailto, not {m.group(1)}:",
                    base + ln,
                    col,
                )


def _headings(chk: Checker, parsed: ParsedFile, lines: list[str]) -> list[tuple[str, int]]:
    """The level-2 headings with their body line; reports raw HTML, h1s and unsafe links."""
    base = parsed.body_line
    tokens = _checker_md.parse(parsed.body)
    headings: list[tuple[str, int]] = []
    for i, tok in enumerate(tokens):
        mapped = tok.map or [0, 0]
        if tok.type == "html_block":
            chk.add(
                "raw-html", "raw HTML is not allowed in the body; use Markdown", base + mapped[0], 1
            )
        elif tok.type == "heading_open" and tok.tag == "h2":
            headings.append((tokens[i + 1].content.strip(), mapped[0]))
        elif tok.type == "heading_open" and tok.tag == "h1":
            chk.add(
                "bad-heading",
                "use '##' headings for sections; the title comes from the front matter",
                base + mapped[0],
                1,
            )
        elif tok.type == "inline" and tok.children:
            _check_inline(chk, tok.children, lines, mapped, base)
    return headings


def _check_sections(
    chk: Checker, headings: list[tuple[str, int]], sections: dict[str, str], base: int
) -> None:
    names = [h for h, _ in headings]
    for name in SECTION_NAMES:
        if name not in names:
            chk.add("missing-section", f"missing body section '## {name}'", base, 1)
        elif not sections.get(name):
            line = base + dict(headings)[name]
            chk.add("empty-section", f"section '## {name}' is empty", line, 1)
    present = [n for n in names if n in SECTION_NAMES]
    if present != [n for n in SECTION_NAMES if n in present]:
        chk.add(
            "section-order",
            "body sections must be in the order " + ", ".join(SECTION_NAMES),
            base,
            1,
        )
    for name, line in headings:
        if name not in SECTION_NAMES:
            chk.add(
                "unknown-section",
                f"unexpected section '## {name}' (use ### inside the four sections)",
                base + line,
                1,
            )


def check_body(chk: Checker, parsed: ParsedFile) -> dict[str, str]:
    """Check sections, raw HTML and links; return section name -> text."""
    lines = parsed.body.splitlines()
    for n, line in enumerate(lines):
        bad = first_unsafe(line)
        if bad:
            chk.add(
                "control-character",
                f"the body contains the invisible character {bad}; remove it",
                parsed.body_line + n,
                1,
            )
    headings = _headings(chk, parsed, lines)
    sections: dict[str, str] = {}
    for idx, (name, start) in enumerate(headings):
        end = headings[idx + 1][1] if idx + 1 < len(headings) else len(lines)
        sections[name] = "\n".join(lines[start + 1 : end]).strip()
    _check_sections(chk, headings, sections, parsed.body_line)
    return sections
