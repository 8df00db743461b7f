"""Safe Markdown rendering: no raw HTML, only http(s) and mailto links, external links marked."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def is_safe_url(url: str) -> bool:
    """True for http(s) and mailto URLs and for relative links; false for everything else."""
    url = url.strip()
    if any(ord(c) < 32 for c in url):
        return False
    m = _SCHEME.match(url)
    if not m:
        return not url.startswith("//")  # protocol-relative URLs leave the site
    scheme = m.group(1).lower()
    if scheme not in SAFE_SCHEMES:
        return False
    if scheme in ("http", "https"):
        try:
            return bool(urlsplit(url).hostname)
        except ValueError:
            return False
    return True


def _make_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.validateLink = is_safe_url  # type: ignore[method-assign]

    def link_open(self, tokens, idx, options, env):
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        token.attrJoin("class", "govuk-link")
        if href.startswith(("http://", "https://")):
            token.attrSet("rel", "noopener noreferrer nofollow")
        return self.renderToken(tokens, idx, options, env)

    def heading_open(self, tokens, idx, options, env):
        # The page title is the only h1: a stray "#" in a body becomes h2.
        token = tokens[idx]
        level = max(int(token.tag[1]), 2)
        token.tag = f"h{level}"
        token.attrJoin("class", "govuk-heading-m" if level == 2 else "govuk-heading-s")
        return self.renderToken(tokens, idx, options, env)

    def heading_close(self, tokens, idx, options, env):
        token = tokens[idx]
        token.tag = f"h{max(int(token.tag[1]), 2)}"
        return self.renderToken(tokens, idx, options, env)

    def add_class(cls: str):
        def rule(self, tokens, idx, options, env):
            tokens[idx].attrJoin("class", cls)
            return self.renderToken(tokens, idx, options, env)

        return rule

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    md.add_render_rule("paragraph_open", add_class("govuk-body"))
    md.add_render_rule("bullet_list_open", add_class("govuk-list govuk-list--bullet"))
    md.add_render_rule("ordered_list_open", add_class("govuk-list govuk-list--number"))
    md.add_render_rule("table_open", add_class("govuk-table"))
    return md


_renderer = _make_renderer()


def render_markdown(text: str) -> str:
    """HTML for a Markdown fragment; any raw HTML in it is shown as text, never as markup."""
    return _renderer.render(text or "")
