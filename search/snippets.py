"""Snippets: the part of a passage to show for a hit, with the query's words marked."""

from __future__ import annotations

import html

import numpy as np

from .tokenize import iter_words, word_stems

SNIPPET_WORDS = 45


def highlight(text: str, qstems: set[str], max_words: int = SNIPPET_WORDS) -> str:
    """Escape ``text`` and wrap words matching ``qstems`` in ``<mark>``; trim to a window of
    ``max_words`` words around the densest run of matches, with an ellipsis where cut."""
    words = list(iter_words(text))
    if qstems:
        marks = [not qstems.isdisjoint(word_stems(m.group(0))) for m in words]
    else:
        marks = [False] * len(words)
    start_w, end_w = 0, len(words)
    if len(words) > max_words:
        if any(marks):
            cs = np.concatenate([[0], np.cumsum(marks)])
            window = cs[max_words:] - cs[: len(words) - max_words + 1]
            best = int(np.argmax(window))
            start_w = max(0, min(best - 5, len(words) - max_words))  # a little lead-in context
        end_w = start_w + max_words
    lo = 0 if start_w == 0 else words[start_w].start()
    hi = len(text) if end_w >= len(words) else words[end_w - 1].end()
    # Runs of matching words (joined when only whitespace separates them) become one <mark>;
    # everything else is escaped in as few pieces as possible.
    runs: list[list[int]] = []
    for k in range(start_w, end_w):
        if not marks[k]:
            continue
        w = words[k]
        if runs and not text[runs[-1][1] : w.start()].strip():
            runs[-1][1] = w.end()
        else:
            runs.append([w.start(), w.end()])
    out: list[str] = ["… "] if lo > 0 else []
    pos = lo
    for a, b in runs:
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:hi]))
    if hi < len(text):
        out.append(" …")
    return "".join(out).strip()
