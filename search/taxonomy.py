"""Optional taxonomy vocabulary: facet -> value slug -> [label, synonyms...].

The engine uses it to recognise themes and outcomes named in a query (``SearchHit.matched`` and
the optional ``tag_boost``). ``search`` never imports ``kb``; this helper only reshapes the parsed
``content/taxonomy.yaml`` mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .tokenize import phrase_in, tokenize

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


class VocabularyMatcher:
    """Finds which vocabulary entries a query names (by label or synonym, after stemming)."""

    def __init__(self, vocabulary: dict[str, dict[str, list[str]]] | None):
        self.vocabulary = vocabulary or {}
        self._phrases: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for facet, entries in self.vocabulary.items():
            items = []
            for slug, phrases in entries.items():
                for ph in phrases:
                    toks = tuple(tokenize(ph))
                    if toks:
                        items.append((slug, toks))
            self._phrases[facet] = items

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
