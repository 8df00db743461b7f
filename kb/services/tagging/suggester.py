"""The tag suggester: evidence for each theme, outcome and CPV division turned into a confidence.

The seven kinds of evidence and how the weights were fitted are described in the package
docstring (kb/services/tagging/__init__.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.content.taxonomy import Taxonomy, Term
from kb.services.tagging.constants import DEFAULT_WEIGHTS, NEIGHBOURS
from kb.services.tagging.draft import Draft, passages
from kb.services.tagging.evidence import _phrases, _word_parts, word_evidence
from kb.services.tagging.library import LibraryEntry, load_entries

if TYPE_CHECKING:
    from kb.settings import Settings
    from search.embedding import Embedder, EmbeddingCache


@dataclass
class Suggestion:
    kind: str  # "theme" | "outcome" | "cpv"
    slug: str
    label: str
    confidence: float
    reasons: list[str]
    present: bool = False  # already in the draft's front matter

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "label": self.label,
            "confidence": round(self.confidence, 3),
            "reasons": self.reasons,
            "present": self.present,
        }


@dataclass
class Suggestions:
    themes: list[Suggestion]
    outcomes: list[Suggestion]
    cpv: list[Suggestion]

    def to_json(self) -> dict[str, Any]:
        return {
            "themes": [s.to_json() for s in self.themes],
            "outcomes": [s.to_json() for s in self.outcomes],
            "cpv": [s.to_json() for s in self.cpv],
        }


@dataclass
class DraftVectors:
    """A draft's passages and their embeddings (so a benchmark can embed each draft once)."""

    passages: list[tuple[str, str, str]]
    vectors: np.ndarray  # one row per passage, normalised
    head: np.ndarray | None  # the title+summary vector, or None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def _shorten(text: str, n: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


class TagSuggester:
    """Suggests tags for drafts against one taxonomy, one model and one library."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        embedder: Embedder,
        library: Sequence[LibraryEntry],
        *,
        weights: dict[str, dict[str, Any]] | None = None,
        cache: EmbeddingCache | None = None,
        store_embeddings: bool = True,
    ):
        from search.embedding import LRUMemo

        self.taxonomy = taxonomy
        self.embedder = embedder
        self.library = list(library)
        self.weights = weights or DEFAULT_WEIGHTS
        self.cache = cache
        #: False for visitors' drafts (the web form): their text is embedded, never stored.
        self.store_embeddings = store_embeddings
        self._memo = LRUMemo()
        self.terms = {
            "theme": list(taxonomy.themes),
            "outcome": list(taxonomy.outcomes),
        }
        self.phrases = {kind: [_phrases(t) for t in terms] for kind, terms in self.terms.items()}
        self.cpv_terms = list(taxonomy.cpv_divisions)
        # A CPV division counts as "named" by its synonyms, or by its label when that is short.
        self.cpv_phrases = [
            _phrases(t, with_label=len(t.label.split()) <= 3) for t in self.cpv_terms
        ]
        self._term_vecs: dict[str, np.ndarray] | None = None
        self.links = np.array(
            [
                [float(th.slug in o.themes and not o.cross_cutting) for o in self.terms["outcome"]]
                for th in self.terms["theme"]
            ]
        )
        self._lib_vecs: np.ndarray | None = None
        self._lib_cpv: list[dict[tuple[str, str], float]] | None = None

    # embeddings (cached on disk when a cache is given)
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``: from memory, then the disk cache, then the model."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        from search.embedding import embed_with_cache

        return embed_with_cache(
            self.embedder, texts, self.cache, memo=self._memo, store=self.store_embeddings
        )

    @staticmethod
    def term_text(term: Term) -> str:
        text = f"{term.label}. {term.description}".strip()
        if term.synonyms:
            text += " Also called: " + ", ".join(term.synonyms) + "."
        return text

    @property
    def term_vectors(self) -> dict[str, np.ndarray]:
        if self._term_vecs is None:
            self._term_vecs = {
                kind: self.embed([self.term_text(t) for t in terms])
                for kind, terms in self.terms.items()
            }
        return self._term_vecs

    @property
    def library_vectors(self) -> np.ndarray:
        if self._lib_vecs is None:
            self._lib_vecs = self.embed([e.head for e in self.library])
        return self._lib_vecs

    def vectors(self, draft: Draft) -> DraftVectors:
        ps = passages(draft)
        vecs = self.embed([p[2] for p in ps]) if ps else np.zeros((0, 1), dtype=np.float32)
        head = vecs[0] if ps and ps[0][0] == "title and summary" else None
        return DraftVectors(ps, vecs, head)

    # evidence
    def static_features(self, draft: Draft, dv: DraftVectors) -> dict[str, Any]:
        """The evidence that does not depend on which library case studies are left out."""
        parts = _word_parts(draft)
        words = {
            kind: [word_evidence(parts, ph) for ph in phs] for kind, phs in self.phrases.items()
        }
        lib_sims = (
            self.library_vectors @ dv.head if dv.head is not None and self.library else np.zeros(0)
        )
        return {"parts": parts, "words": words, "lib_sims": lib_sims}

    def features(
        self,
        draft: Draft,
        dv: DraftVectors,
        exclude: frozenset[int] = frozenset(),
        static: dict[str, Any] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Per kind: the feature matrix (terms x FEATURES) and what the reasons need."""
        static = static or self.static_features(draft, dv)
        words = static["words"]
        # Similar case studies (by title and summary), excluding the draft itself.
        sims = static["lib_sims"]
        order = [i for i in np.argsort(-sims) if i not in exclude][:NEIGHBOURS]
        neighbours = [(int(i), float(max(sims[i], 0.0))) for i in order]
        total = sum(s for _, s in neighbours) or 1.0
        base: dict[str, dict[str, Any]] = {}
        for kind, terms in self.terms.items():
            tv = self.term_vectors[kind]
            n = len(terms)
            if len(dv.passages):
                sim = dv.vectors @ tv.T  # passages x terms
                best_idx = sim.argmax(axis=0)
                passage_sim = sim.max(axis=0)
                summary_sim = sim[0] if dv.head is not None else np.zeros(n)
            else:
                best_idx = np.zeros(n, dtype=int)
                passage_sim = summary_sim = np.zeros(n)
            field_name = "themes" if kind == "theme" else "outcomes"
            nb = np.zeros(n)
            nb_names: list[list[str]] = [[] for _ in range(n)]
            index = {t.slug: j for j, t in enumerate(terms)}
            for i, s in neighbours:
                for slug in getattr(self.library[i], field_name):
                    j = index.get(slug)
                    if j is not None:
                        nb[j] += s / total
                        nb_names[j].append(self.library[i].slug)
            base[kind] = {
                "words_log": np.log1p([w.score for w in words[kind]]),
                "passage_sim": passage_sim,
                "summary_sim": summary_sim,
                "best": best_idx,
                "nb": nb,
                "nb_names": nb_names,
            }
        # Themes and outcomes support each other: an outcome's words are evidence for the
        # themes it sits under, and a theme's for its outcomes.
        link = self.links  # themes x outcomes, 1 where the outcome sits under the theme
        related = {
            "theme": (
                (link * base["outcome"]["words_log"][None, :]).max(axis=1),
                (link * base["outcome"]["passage_sim"][None, :]).max(axis=1),
            ),
            "outcome": (
                (link * base["theme"]["words_log"][:, None]).max(axis=0),
                (link * base["theme"]["passage_sim"][:, None]).max(axis=0),
            ),
        }
        # Which related term gave the word evidence, for the reasons.
        related_from = {
            "theme": (link * base["outcome"]["words_log"][None, :]).argmax(axis=1),
            "outcome": (link * base["theme"]["words_log"][:, None]).argmax(axis=0),
        }
        out: dict[str, dict[str, Any]] = {}
        for kind in self.terms:
            b = base[kind]
            other = "outcome" if kind == "theme" else "theme"
            related_reasons: list[str] = []
            for j in range(len(self.terms[kind])):
                reason = ""
                if related[kind][0][j] > 0:
                    k = int(related_from[kind][j])
                    hits = words[other][k].hits
                    shown = ", ".join(f"“{ph}”" for ph in list(hits)[:2])
                    where = "under it" if kind == "theme" else "it sits under"
                    reason = f"words for the {other} {where}, {self.terms[other][k].slug}: {shown}"
                related_reasons.append(reason)
            x = np.column_stack(
                [
                    b["words_log"],
                    b["passage_sim"],
                    b["summary_sim"],
                    b["passage_sim"] - b["passage_sim"].mean(),
                    b["nb"],
                    related[kind][0],
                    related[kind][1],
                ]
            ).astype(np.float64)
            out[kind] = {
                "x": x,
                "words": words[kind],
                "best": b["best"],
                "passage_sim": b["passage_sim"],
                "neighbours": b["nb_names"],
                "related": related_reasons,
            }
        return out

    def confidences(self, kind: str, x: np.ndarray) -> np.ndarray:
        w = self.weights[kind]
        z = (x - np.asarray(w["mean"])) / np.asarray(w["std"])
        intercept = w["intercept"]
        assert isinstance(intercept, float)
        return _sigmoid(z @ np.asarray(w["coef"]) + intercept)

    def suggest(
        self,
        draft: Draft,
        dv: DraftVectors | None = None,
        *,
        exclude: frozenset[int] = frozenset(),
        limit: int | None = None,
    ) -> Suggestions:
        dv = dv or self.vectors(draft)
        static = self.static_features(draft, dv)
        feats = self.features(draft, dv, exclude, static)
        result: dict[str, list[Suggestion]] = {}
        for kind, terms in self.terms.items():
            f = feats[kind]
            conf = self.confidences(kind, f["x"])
            present = set(draft.listed("themes" if kind == "theme" else "outcomes"))
            items: list[Suggestion] = []
            for j in np.argsort(-conf, kind="stable"):
                term = terms[j]
                reasons: list[str] = []
                hits = f["words"][j].hits
                if hits:
                    shown = [f"“{ph}” ({', '.join(w)})" for ph, w in list(hits.items())[:3]]
                    reasons.append("words: " + "; ".join(shown))
                if f["related"][j]:
                    reasons.append(f["related"][j])
                if len(dv.passages):
                    where, text, _ = dv.passages[int(f["best"][j])]
                    reasons.append(
                        f"closest passage ({where}, similarity {f['passage_sim'][j]:.2f}): "
                        f"“{_shorten(text)}”"
                    )
                if f["neighbours"][j]:
                    reasons.append(
                        "tagged on similar case studies: " + ", ".join(f["neighbours"][j][:3])
                    )
                items.append(
                    Suggestion(
                        kind, term.slug, term.label, float(conf[j]), reasons, term.slug in present
                    )
                )
            result[kind] = items[:limit] if limit else items
        cpv = self.suggest_cpv(draft, exclude, static["parts"])
        return Suggestions(result["theme"], result["outcome"], cpv)

    def _library_cpv(self) -> list[dict[tuple[str, str], float]]:
        """For each library case study: (division, phrase) -> weighted count of mentions."""
        if self._lib_cpv is None:
            self._lib_cpv = [self._cpv_mentions(_word_parts(e.as_draft())) for e in self.library]
        return self._lib_cpv

    def _cpv_mentions(self, parts) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for term, phrases in zip(self.cpv_terms, self.cpv_phrases, strict=True):
            for label, toks in phrases:
                ev = word_evidence(parts, [(label, toks)])
                if ev.hits:
                    out[(term.slug, label)] = ev.score
        return out

    def suggest_cpv(
        self,
        draft: Draft,
        exclude: frozenset[int] = frozenset(),
        parts: list[tuple[str, list[str], float]] | None = None,
    ) -> list[Suggestion]:
        """Divisions whose name or synonyms the draft uses.

        A mention is only as good as the phrase: "catering" nearly always means a catering
        contract, "training" rarely means a training contract. Each phrase's reliability is
        learned from the library, (k + 1) / (n + 2) where n shipped case studies use the phrase
        and k of them are tagged with the division; a mention's strength grows with how often
        and where (title and summary count double) it appears. Confidence is
        1 - prod(1 - reliability x strength) over the division's phrases.
        """
        parts = parts if parts is not None else _word_parts(draft)
        present = set(draft.listed("cpv"))
        library = self._library_cpv()
        mentions = self._cpv_mentions(parts)
        by_div: dict[str, list[tuple[str, float, int, int]]] = {}
        hits_by_div: dict[str, dict[str, list[str]]] = {}
        for term, phrases in zip(self.cpv_terms, self.cpv_phrases, strict=True):
            ev = word_evidence(parts, phrases) if phrases else None
            if ev and ev.hits:
                hits_by_div[term.slug] = ev.hits
        for (div, label), score in mentions.items():
            n = k = 0
            for j, lib in enumerate(library):
                if j in exclude or (div, label) not in lib:
                    continue
                n += 1
                k += div in self.library[j].cpv
            reliability = (k + 1) / (n + 2)
            strength = 1.0 - math.exp(-0.5 * score)
            by_div.setdefault(div, []).append((label, reliability * strength, k, n))
        out: list[Suggestion] = []
        for div, items in by_div.items():
            conf = 1.0 - math.prod(1.0 - p for _, p, _, _ in items)
            hits = hits_by_div.get(div, {})
            reasons = []
            for label, _, k, n in sorted(items, key=lambda t: -t[1])[:3]:
                where = ", ".join(hits.get(label, []))
                reasons.append(
                    f"names the service: “{label}” ({where}); {k} of {n} shipped case studies "
                    f"that use it are tagged {div}"
                )
            out.append(
                Suggestion(
                    "cpv",
                    div,
                    self.taxonomy.cpv_divisions.label(div),
                    conf,
                    reasons,
                    div in present,
                )
            )
        out.sort(key=lambda s: -s.confidence)
        return out


def make_suggester(
    settings: Settings, taxonomy: Taxonomy, *, exclude_path: Path | None = None
) -> TagSuggester:
    """A suggester over the shipped case studies, with the configured model (loaded lazily)."""
    from kb.content.library import casestudy_files
    from search.build import embedding_cache_path
    from search.embedding import Embedder, EmbeddingCache, model_identity

    paths = casestudy_files(settings.content_dir)
    if exclude_path is not None:
        me = Path(exclude_path).resolve()
        paths = [p for p in paths if p.resolve() != me]
    embedder = Embedder(settings.model)
    cache = None
    try:
        cache = EmbeddingCache(
            embedding_cache_path(settings.index_dir), model_identity(settings.model)
        )
    except Exception:  # no writable data folder: embed without a cache
        cache = None
    return TagSuggester(taxonomy, embedder, load_entries(paths), cache=cache)
