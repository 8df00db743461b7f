"""Snippets: the part of a passage to show for a hit, with the query's words marked."""

from __future__ import annotations

import html
from array import array
from functools import lru_cache

import numpy as np

from .tokenize import iter_words, word_stems

SNIPPET_WORDS = 45


@lru_cache(maxsize=4096)
def _layout(text: str) -> tuple[array[int], array[int], tuple[tuple[str, ...], ...]]:
    """Each word's start, end and index terms: found once per passage, not once per search
    that shows it (about 2.5 KB a passage, so at most about 10 MB)."""
    starts: array[int] = array("I")
    ends: array[int] = array("I")
    stems: list[tuple[str, ...]] = []
    for m in iter_words(text):
        starts.append(m.start())
        ends.append(m.end())
        stems.append(word_stems(m.group(0)))
    return starts, ends, tuple(stems)


def highlight(text: str, qstems: set[str], max_words: int = SNIPPET_WORDS) -> str:
    """Escape ``text`` and wrap words matching ``qstems`` in ``<mark>``; trim to a window of
    ``max_words`` words around the densest run of matches, with an ellipsis where cut."""
    starts, ends, stems = _layout(text)
    n_words = len(starts)
    marks = [not qstems.isdisjoint(st) for st in stems] if qstems else [False] * n_words
    start_w, end_w = 0, n_words
    if n_words > max_words:
        if any(marks):
            cs = np.concatenate([[0], np.cumsum(marks)])
            window = cs[max_words:] - cs[: n_words - max_words + 1]
            best = int(np.argmax(window))
            start_w = max(0, min(best - 5, n_words - max_words))  # a little lead-in context
        end_w = start_w + max_words
    lo = 0 if start_w == 0 else starts[start_w]
    hi = len(text) if end_w >= n_words else ends[end_w - 1]
    # Runs of matching words (joined when only whitespace separates them) become one <mark>;
    # everything else is escaped in as few pieces as possible.
    runs: list[list[int]] = []
    for k in range(start_w, end_w):
        if not marks[k]:
            continue
        if runs and not text[runs[-1][1] : starts[k]].strip():
            runs[-1][1] = ends[k]
        else:
            runs.append([starts[k], ends[k]])
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
