"""Optional taxonomy vocabulary: facet -> value slug -> [label, synonyms...].

The engine uses it to recognise themes and outcomes named in a query (``SearchHit.matched`` and
the optional ``tag_boost``). ``search`` never imports ``kb``; this helper only reshapes the parsed
``content/taxonomy.yaml`` mapping.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .tokenize import STOPWORDS, phrase_in, tokenize

#: taxonomy.yaml list name -> facet name used in Document.metadata
TAXONOMY_FACETS = {
    "themes": "theme",
    "outcomes": "outcome",
    "organisation_types": "organisation_type",
    "regions": "region",
    "cpv_divisions": "cpv",
    "procurement_stages": "stage",
    "evidence_levels": "evidence",
}


def vocabulary_from_taxonomy(taxonomy: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Convert the parsed taxonomy YAML into the vocabulary the engine stores."""
    vocab: dict[str, dict[str, list[str]]] = {}
    for list_name, facet in TAXONOMY_FACETS.items():
        entries = taxonomy.get(list_name) or []
        out: dict[str, list[str]] = {}
        for e in entries:
            slug = str(e.get("slug") or e.get("code") or "")
            if not slug:
                continue
            phrases = [str(e.get("label") or slug)]
            phrases += [str(s) for s in e.get("synonyms") or []]
            out[slug] = phrases
        if out:
            vocab[facet] = out
    return vocab


def load_taxonomy_vocabulary(path: Path) -> dict[str, dict[str, list[str]]]:
    import yaml

    return vocabulary_from_taxonomy(yaml.safe_load(Path(path).read_text("utf-8")) or {})


def spells(acronym: str, words: tuple[str, ...]) -> bool:
    """Whether ``acronym`` is made of leading parts of ``words``, in order, every word used:
    "sme" from (small, medium, enterprises), "latco" from (local, authority, trading, company)."""
    if not words:
        return not acronym
    if not acronym:
        return False
    w = words[0]
    return any(
        w.startswith(acronym[:k]) and spells(acronym[k:], words[1:])
        for k in range(1, min(len(w), len(acronym)) + 1)
    )


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(w for w in re.findall(r"[a-z0-9]+", phrase.lower()) if w not in STOPWORDS)


class VocabularyMatcher:
    """Finds which vocabulary entries a query names (by label or synonym, after stemming)."""

    def __init__(self, vocabulary: dict[str, dict[str, list[str]]] | None):
        self.vocabulary = vocabulary or {}
        self._phrases: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        #: a phrase's words as written (for the text that is embedded)
        self._surface: dict[tuple[str, ...], str] = {}
        for facet, entries in self.vocabulary.items():
            items = []
            for slug, phrases in entries.items():
                for ph in phrases:
                    toks = tuple(tokenize(ph))
                    if toks:
                        items.append((slug, toks))
                        self._surface.setdefault(toks, ph)
            self._phrases[facet] = items
        # acronym <-> its spelled-out form, where one entry lists both ("SME" and "small and
        # medium enterprises"): (tokens of one) -> tokens of the other
        self._acronyms: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for entries in self.vocabulary.values():
            for phrases in entries.values():
                for a in phrases:
                    aw = _words(a)
                    if len(aw) != 1 or len(aw[0]) < 2:
                        continue
                    for b in phrases:
                        bw = _words(b)
                        if len(bw) >= 2 and spells(aw[0].rstrip("s"), bw):
                            ta, tb = tuple(tokenize(a)), tuple(tokenize(b))
                            if ta and tb:
                                self._acronyms.setdefault(ta, set()).add(tb)
                                self._acronyms.setdefault(tb, set()).add(ta)

    def acronym_sources(
        self, phrase: tuple[str, ...], query_tokens: list[str]
    ) -> list[tuple[str, ...]]:
        """The query's phrases that ``phrase`` is the other form of (acronym or spelled out)."""
        return [
            src
            for src in self._acronyms.get(phrase, ())
            if src[0] in query_tokens and phrase_in(src, query_tokens)
        ]

    def phrases_text(self, phrases: list[tuple[str, ...]]) -> str:
        return "; ".join(self._surface.get(p, " ".join(p)) for p in phrases)

    def expansions(self, query_tokens: list[str], kind: str) -> list[tuple[str, ...]]:
        """Phrases (as tokens) to add to a query: ``"acronyms"``, the other form of each acronym
        or spelled-out name it holds; ``"synonyms"``, also every label and synonym of the
        themes and outcomes it names. Phrases already in the query are left out."""
        if kind == "none" or not query_tokens:
            return []
        out: list[tuple[str, ...]] = []
        for src, alts in self._acronyms.items():
            if src[0] in query_tokens and phrase_in(src, query_tokens):
                out.extend(sorted(alts))
        if kind == "synonyms":
            for facet, slugs in self.named(query_tokens).items():
                for slug, toks in self._phrases.get(facet, []):
                    if slug in slugs:
                        out.append(toks)
        kept: list[tuple[str, ...]] = []
        for p in out:
            if p not in kept and not phrase_in(p, query_tokens):
                kept.append(p)
        return kept

    def named(
        self, query_tokens: list[str], facets: tuple[str, ...] = ("theme", "outcome")
    ) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        if not query_tokens:
            return out
        qset = set(query_tokens)
        for facet in facets:
            hits = {
                slug
                for slug, toks in self._phrases.get(facet, [])
                if toks[0] in qset and phrase_in(toks, query_tokens)
            }
            if hits:
                out[facet] = hits
        return out
