"""The controlled vocabulary in content/taxonomy.yaml, and lookups with "did you mean" suggestions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

THEME_SLUGS = (
    "employment",
    "assets",
    "vulnerable-groups",
    "local-communities",
    "local-businesses",
    "sustainable-services",
    "environment",
    "regeneration",
)

# Vocabulary name -> the front-matter field that uses it (for messages).
VOCABULARIES = (
    "themes",
    "outcomes",
    "organisation_types",
    "regions",
    "cpv_divisions",
    "procurement_stages",
    "evidence_levels",
)


class TaxonomyError(ValueError):
    """The taxonomy file itself is broken."""


@dataclass(frozen=True)
class Term:
    slug: str
    label: str
    description: str = ""
    synonyms: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()  # outcomes only: the themes they sit under
    frameworks: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    mapping_note: str = ""
    itl1: str | None = None  # regions only
    cross_cutting: bool = False  # outcomes that fit any theme (e.g. measurement)


@dataclass
class Vocabulary:
    name: str
    terms: dict[str, Term]

    def __contains__(self, slug: object) -> bool:
        return slug in self.terms

    def __iter__(self):
        return iter(self.terms.values())

    def __len__(self) -> int:
        return len(self.terms)

    def label(self, slug: str) -> str:
        term = self.terms.get(slug)
        return term.label if term else slug

    def suggest(self, value: str, n: int = 3) -> list[str]:
        """Nearest valid slugs for a mistyped value, matching slugs, labels and synonyms."""
        needle = str(value).strip().lower().replace("_", "-").replace(" ", "-")
        by_alias: dict[str, str] = {}
        for term in self.terms.values():
            for alias in (term.slug, term.label, *term.synonyms):
                key = alias.lower().replace(" ", "-").replace("_", "-")
                by_alias.setdefault(key, term.slug)
        if needle in by_alias:
            return [by_alias[needle]]
        matches = difflib.get_close_matches(needle, list(by_alias), n=n * 3, cutoff=0.6)
        seen: list[str] = []
        for m in matches:
            slug = by_alias[m]
            if slug not in seen:
                seen.append(slug)
        if not seen:  # fall back to substring matches ("business" -> local-businesses)
            seen = [s for s in self.terms if needle and (needle in s or s in needle)]
        return seen[:n]


@dataclass
class Taxonomy:
    themes: Vocabulary
    outcomes: Vocabulary
    organisation_types: Vocabulary
    regions: Vocabulary
    cpv_divisions: Vocabulary
    procurement_stages: Vocabulary
    evidence_levels: Vocabulary

    def vocab(self, name: str) -> Vocabulary:
        return getattr(self, name)

    def outcomes_for_theme(self, theme: str) -> list[Term]:
        return [o for o in self.outcomes if theme in o.themes]

    def synonyms(self) -> dict[str, list[str]]:
        """Label -> synonyms for themes and outcomes, for query understanding."""
        out: dict[str, list[str]] = {}
        for vocab in (self.themes, self.outcomes):
            for t in vocab:
                out[t.label] = list(t.synonyms)
        return out

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = {}
        for name in VOCABULARIES:
            for t in self.vocab(name):
                row: dict[str, Any] = {"slug": t.slug, "label": t.label}
                if t.description:
                    row["description"] = t.description
                if t.synonyms:
                    row["synonyms"] = list(t.synonyms)
                if name == "outcomes":
                    row["themes"] = list(t.themes)
                if t.frameworks:
                    row["frameworks"] = t.frameworks
                if t.mapping_note:
                    row["mapping_note"] = t.mapping_note
                if name == "regions":
                    row["itl1"] = t.itl1
                result[name] = [*result.get(name, []), row]
        return result


def _term(raw: dict[str, Any], key: str = "slug") -> Term:
    return Term(
        slug=str(raw[key]),
        label=str(raw["label"]),
        description=str(raw.get("description") or ""),
        synonyms=tuple(str(s) for s in raw.get("synonyms") or ()),
        themes=tuple(raw.get("themes") or ()),
        frameworks=dict(raw.get("frameworks") or {}),
        mapping_note=str(raw.get("mapping_note") or ""),
        itl1=raw.get("itl1"),
        cross_cutting=bool(raw.get("cross_cutting", False)),
    )


def parse_taxonomy(data: dict[str, Any]) -> Taxonomy:
    """Build and check a Taxonomy from parsed YAML."""
    if not isinstance(data, dict):
        raise TaxonomyError("taxonomy must be a YAML mapping")
    vocabs: dict[str, Vocabulary] = {}
    for name in VOCABULARIES:
        rows = data.get(name)
        if not isinstance(rows, list) or not rows:
            raise TaxonomyError(f"taxonomy: '{name}' must be a non-empty list")
        key = "code" if name == "cpv_divisions" else "slug"
        terms: dict[str, Term] = {}
        for raw in rows:
            try:
                term = _term(raw, key)
            except (KeyError, TypeError) as exc:
                raise TaxonomyError(f"taxonomy: bad entry in '{name}': {raw!r}") from exc
            if term.slug in terms:
                raise TaxonomyError(f"taxonomy: duplicate slug '{term.slug}' in '{name}'")
            terms[term.slug] = term
        vocabs[name] = Vocabulary(name, terms)
    if tuple(vocabs["themes"].terms) != THEME_SLUGS:
        raise TaxonomyError(f"taxonomy: themes must be exactly {', '.join(THEME_SLUGS)}")
    for outcome in vocabs["outcomes"]:
        if not outcome.themes:
            raise TaxonomyError(f"taxonomy: outcome '{outcome.slug}' has no themes")
        for theme in outcome.themes:
            if theme not in vocabs["themes"]:
                raise TaxonomyError(
                    f"taxonomy: outcome '{outcome.slug}' names unknown theme '{theme}'"
                )
    return Taxonomy(**vocabs)


def load_taxonomy(path: Path) -> Taxonomy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {exc}") from exc
    return parse_taxonomy(data)
