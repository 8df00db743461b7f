"""Tokenisation shared by the keyword index, query parsing, highlighting and taxonomy matching.

Lower-cases, splits on anything that is not a letter or digit, drops Lucene's 33 English
stopwords and stems with Snowball English (PyStemmer). Hyphenated words give their parts and the
joined form ("co-operative" -> "co", "oper", "cooper"), so both spellings match.
Short codes survive intact: "NT1" -> "nt1", "Section 106" -> "section", "106".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

STOPWORDS: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)

# A "word" is a run of letters/digits, optionally joined by hyphens or apostrophes.
_WORD_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_PART_RE = re.compile(r"[^\W_]+", re.UNICODE)

_local = threading.local()


def _stemmer():
    st = getattr(_local, "stemmer", None)
    if st is None:
        try:
            import Stemmer  # PyStemmer

            st = Stemmer.Stemmer("english")
            st.maxCacheSize = 50000
        except ImportError:  # pragma: no cover - PyStemmer is a declared dependency
            st = False
        _local.stemmer = st
    return st


_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem one lower-cased word (cached; thread-safe because each thread has its own stemmer).

    Snowball keeps the plural "s" when no vowel comes before the letter ahead of it, so an
    acronym's plural kept its "s" ("smes", "vcses", "kpis" against "sme", "vcse", "kpi"); such
    words lose it here (shared by documents and queries, so "gas" -> "ga" merely renames a term).
    """
    st = _stemmer()
    if not st or word.isdigit():
        return word
    if (
        len(word) >= 3
        and word[-1] == "s"
        and word[-2] != "s"
        and word[:-1].isalpha()
        and not _VOWELS.intersection(word[:-2])
    ):
        word = word[:-1]
    return st.stemWord(word)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def iter_words(text: str) -> Iterator[re.Match[str]]:
    """Words of ``text`` (not lower-cased) with their spans, for highlighting."""
    return _WORD_RE.finditer(unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=200_000)
def word_stems(word: str) -> tuple[str, ...]:
    """The index terms one surface word produces (possibly none, for a stopword)."""
    w = normalise(word).replace("’", "'")
    if "'" in w:  # possessives and contractions: "council's" -> "council"
        w = w.split("'")[0] if w.endswith(("'s", "'")) else w.replace("'", "")
    parts = _PART_RE.findall(w)
    out = [stem(p) for p in parts if p not in STOPWORDS]
    if len(parts) > 1:
        joined = "".join(parts)
        out.append(stem(joined))
    return tuple(out)


def tokenize(text: str) -> list[str]:
    """Index/query terms of ``text``, in order, with repeats."""
    out: list[str] = []
    for m in _WORD_RE.finditer(normalise(text)):
        out.extend(word_stems(m.group(0)))
    return out


def phrase_in(phrase_tokens: tuple[str, ...], tokens: list[str]) -> bool:
    """Whether ``phrase_tokens`` occurs contiguously in ``tokens``."""
    n = len(phrase_tokens)
    if n == 0 or n > len(tokens):
        return False
    first = phrase_tokens[0]
    for i, t in enumerate(tokens[: len(tokens) - n + 1]):
        if t == first and tuple(tokens[i : i + n]) == phrase_tokens:
            return True
    return False
