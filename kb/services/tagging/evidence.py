"""Keyword evidence: taxonomy labels and synonyms found in a draft."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kb.content.taxonomy import Term
from kb.services.tagging.draft import Draft


def _phrases(term: Term, *, with_label: bool = True) -> list[tuple[str, tuple[str, ...]]]:
    from search.tokenize import tokenize

    out: list[tuple[str, tuple[str, ...]]] = []
    seen: set[tuple[str, ...]] = set()
    for ph in ((term.label,) if with_label else ()) + tuple(term.synonyms):
        toks = tuple(tokenize(ph))
        if toks and toks not in seen:
            seen.add(toks)
            out.append((ph, toks))
    return out


def _count(tokens: list[str], phrase: tuple[str, ...]) -> int:
    n = len(phrase)
    first = phrase[0]
    return sum(
        1
        for i in range(len(tokens) - n + 1)
        if tokens[i] == first and tuple(tokens[i : i + n]) == phrase
    )


@dataclass
class WordHits:
    score: float  # weighted count: title/summary matches count double
    hits: dict[str, list[str]]  # phrase -> where it was found


def tokenise_parts(parts: Sequence[tuple[str, str, float]]) -> list[tuple[str, list[str], float]]:
    from search.tokenize import tokenize

    return [(where, tokenize(text), weight) for where, text, weight in parts]


def word_evidence(
    tokenised: Sequence[tuple[str, list[str], float]],
    phrases: list[tuple[str, tuple[str, ...]]],
) -> WordHits:
    """Matches of ``phrases`` in ``tokenised`` = [(where, tokens, weight)]."""
    score = 0.0
    hits: dict[str, list[str]] = {}
    for label, toks in phrases:
        for where, tokens, weight in tokenised:
            n = _count(tokens, toks)
            if n:
                score += weight * n
                hits.setdefault(label, []).append(where if n == 1 else f"{where} ×{n}")
    return WordHits(score, hits)


def _word_parts(draft: Draft) -> list[tuple[str, list[str], float]]:
    parts = [("title", draft.title, 2.0), ("summary", draft.summary, 2.0)]
    parts += [(f"'{h}' section" if h else "body", t, 1.0) for h, t in draft.sections]
    return tokenise_parts([p for p in parts if p[1]])
