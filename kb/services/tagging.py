"""Suggest themes, outcomes and CPV divisions for a draft case study, and say why.

Each theme and outcome gets seven pieces of evidence, which a small logistic model turns into a
confidence (an estimate of the probability that a reviewer would tag it):

- **words**: the term's label and synonyms from ``content/taxonomy.yaml`` found in the draft
  (stemmed phrase matches; the title and summary count double);
- **passage similarity**: the best cosine similarity between a passage of the draft and the
  term's label, description and synonyms, embedded with the project's model;
- **summary similarity**: the same for the draft's title and summary;
- **relative similarity**: how far the best passage similarity stands above the draft's average
  over all terms of that kind (drafts differ in how "close" they are to everything);
- **similar case studies**: how many of the five shipped case studies most similar to the draft
  (title and summary embeddings, similarity-weighted) carry the term;
- **related words and similarity**: the strongest word and passage evidence for the outcomes
  under a theme (for a theme), or for the themes above an outcome (for an outcome).

The weights were fitted on the shipped case studies by ``bench/suggest_tags.py``, which also
measures the suggestions leave-one-out. CPV divisions are suggested only when the text names the
service (the division's label or synonyms), as the issue asks.

``write_suggestions`` adds the confident ones to the file's front matter with a ruamel.yaml
round trip, so comments, quoting and key order are kept and the body is untouched.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from kb.content import rules
from kb.content.frontmatter import FrontMatterError, split
from kb.content.rules import SECTION_NAMES
from kb.content.taxonomy import Taxonomy, Term

#: Suggestions at or above this confidence are "confident": `--write` adds them.
DEFAULT_MIN_CONFIDENCE = 0.5
MAX_THEMES = rules.THEMES.max
MAX_OUTCOMES = rules.OUTCOMES.max
MAX_CPV = rules.CPV_DIVISIONS.max
NEIGHBOURS = 5
PASSAGE_WORDS = 80  # smaller than the index's passages, so a reason points at a paragraph
FEATURES = (
    "words",
    "passage_sim",
    "summary_sim",
    "relative_sim",
    "neighbours",
    "related_words",
    "related_sim",
)

#: Fitted by `python bench/suggest_tags.py --fit` on the 52 shipped case studies:
#: feature means, standard deviations, coefficients (on standardised features) and intercept.
DEFAULT_WEIGHTS: dict[str, dict[str, list[float] | float]] = {
    "theme": {
        "mean": [1.0036, 0.3239, 0.2334, -0.0, 0.4126, 1.071, 0.388],
        "std": [0.9643, 0.0957, 0.0948, 0.0805, 0.3213, 0.8877, 0.1047],
        "coef": [0.8622, -0.2153, 0.0351, 0.4922, 1.0275, 1.2116, -0.0978],
        "intercept": -0.6743,
    },
    "outcome": {
        "mean": [0.3079, 0.2628, 0.183, -0.0, 0.1371, 1.4361, 0.3418],
        "std": [0.6558, 0.1056, 0.1041, 0.1007, 0.2096, 0.9742, 0.1087],
        "coef": [1.1712, 0.1866, -0.6689, 0.7273, 0.6388, 0.502, 0.353],
        "intercept": -2.913,
    },
}


#: Embeddings kept in memory across suggesters (the web app and tests build several).
_MEMO: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 20_000


# ---- reading a draft -------------------------------------------------------------------------


@dataclass
class Draft:
    """What the suggester reads from a (possibly incomplete) case-study file."""

    title: str = ""
    summary: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def head(self) -> str:
        """The text embedded for "similar case studies": the same as the search index's."""
        if self.title and self.summary:
            return f"{self.title}. {self.summary}"
        return self.title or self.summary

    def listed(self, key: str) -> list[str]:
        value = self.meta.get(key)
        if key == "cpv":
            proc = self.meta.get("procurement")
            value = proc.get("cpv") if isinstance(proc, dict) else None
        if isinstance(value, list):
            return [str(v) for v in value if isinstance(v, (str, int))]
        return []


_HEADING_RE = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _sections(body: str) -> list[tuple[str, str]]:
    marks = list(_HEADING_RE.finditer(body))
    out: list[tuple[str, str]] = []
    lead = body[: marks[0].start()] if marks else body
    if lead.strip():
        out.append(("", lead.strip()))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        text = body[m.end() : end].strip()
        if text:
            out.append((m.group(1).strip(), text))
    return out


def _scalar_line(yaml_text: str, key: str) -> str:
    m = re.search(rf"^{key}:\s*(.+)$", yaml_text, re.MULTILINE)
    return m.group(1).strip().strip("\"'") if m else ""


def read_draft(text: str) -> Draft:
    """Title, summary, sections and whatever front matter parses; never raises."""
    try:
        yaml_text, body, _ = split(text)
    except FrontMatterError:
        return Draft(sections=_sections(text))
    meta: dict[str, Any] = {}
    try:
        loaded = yaml.safe_load(yaml_text)
        if isinstance(loaded, dict):
            meta = loaded
    except yaml.YAMLError:
        meta = {}
    title = meta.get("title") if isinstance(meta.get("title"), str) else ""
    summary = meta.get("summary") if isinstance(meta.get("summary"), str) else ""
    if not meta:  # broken YAML: still use the obvious one-line fields
        title, summary = _scalar_line(yaml_text, "title"), _scalar_line(yaml_text, "summary")
    return Draft(" ".join(title.split()), " ".join(summary.split()), _sections(body), meta)


def passages(draft: Draft, max_words: int = PASSAGE_WORDS) -> list[tuple[str, str, str]]:
    """(where, plain text, text to embed) for the head and each chunk of each section."""
    from search.documents import markdown_to_text, split_words

    out: list[tuple[str, str, str]] = []
    if draft.head:
        out.append(("title and summary", draft.head, draft.head))
    for heading, body in draft.sections:
        plain = markdown_to_text(body)
        for chunk in split_words(plain, max_words):
            where = f"'{heading}' section" if heading else "body"
            context = f"{draft.title}. {heading}." if heading else f"{draft.title}."
            out.append((where, chunk, f"{context} {chunk}" if draft.title else chunk))
    return out


# ---- the library the suggestions learn from --------------------------------------------------


@dataclass
class LibraryEntry:
    slug: str
    path: str
    title: str
    summary: str
    themes: list[str]
    outcomes: list[str]
    cpv: list[str]
    sections: list[tuple[str, str]] = field(default_factory=list)

    @property
    def head(self) -> str:
        return f"{self.title}. {self.summary}" if self.summary else self.title

    def as_draft(self) -> Draft:
        return Draft(self.title, self.summary, self.sections)


def load_entries(paths: Sequence[Path]) -> list[LibraryEntry]:
    """Title, summary and tags of each case-study file (lenient: unreadable files are skipped)."""
    entries: list[LibraryEntry] = []
    for p in paths:
        try:
            d = read_draft(Path(p).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if not d.head:
            continue
        entries.append(
            LibraryEntry(
                Path(p).stem,
                str(p),
                d.title,
                d.summary,
                d.listed("themes"),
                d.listed("outcomes"),
                d.listed("cpv"),
                d.sections,
            )
        )
    return entries


# ---- keyword evidence ------------------------------------------------------------------------


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


# ---- suggestions -----------------------------------------------------------------------------


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
        embedder: Any,
        library: Sequence[LibraryEntry],
        *,
        weights: dict[str, dict[str, Any]] | None = None,
        cache: Any | None = None,
    ):
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.library = list(library)
        self.weights = weights or DEFAULT_WEIGHTS
        self.cache = cache  # a search.embedding.EmbeddingCache, or None
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
        from search.embedding import text_key

        model = str(getattr(self.embedder, "path", "")) or str(id(self.embedder))
        keys = [text_key(t) for t in texts]
        with _MEMO_LOCK:
            found = {k: _MEMO[(model, k)] for k in keys if (model, k) in _MEMO}
        missing = [k for k in keys if k not in found]
        if missing and self.cache is not None:
            found.update(self.cache.get_many(missing))
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if todo:
            vecs = self.embedder.encode(list(todo.values()))
            new = list(zip(todo.keys(), vecs, strict=True))
            if self.cache is not None:
                with contextlib.suppress(Exception):  # a read-only or locked cache costs time only
                    self.cache.put_many(new)
            found.update(new)
        with _MEMO_LOCK:
            for k in keys:
                _MEMO[(model, k)] = found[k]
                _MEMO.move_to_end((model, k))
            while len(_MEMO) > _MEMO_SIZE:
                _MEMO.popitem(last=False)
        return np.stack([found[k] for k in keys]).astype(np.float32)

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
        return _sigmoid(z @ np.asarray(w["coef"]) + float(w["intercept"]))

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
    settings: Any, taxonomy: Taxonomy, *, exclude_path: Path | None = None
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


# ---- writing the confident suggestions into the file -----------------------------------------


@dataclass
class WriteResult:
    themes: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    cpv: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.themes or self.outcomes or self.cpv)


def choose(
    suggestions: Suggestions, taxonomy: Taxonomy, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> WriteResult:
    """The confident suggestions that fit: at most 4 themes and 8 outcomes in all, and only
    outcomes that sit under one of the themes (or are cross-cutting), so the file stays valid."""
    chosen = WriteResult()
    themes = [s.slug for s in suggestions.themes if s.present]
    for s in suggestions.themes:
        if not s.present and s.confidence >= min_confidence and len(themes) < MAX_THEMES:
            themes.append(s.slug)
            chosen.themes.append(s.slug)
    outcomes = [s.slug for s in suggestions.outcomes if s.present]
    for s in suggestions.outcomes:
        if s.present or s.confidence < min_confidence or len(outcomes) >= MAX_OUTCOMES:
            continue
        term = taxonomy.outcomes.terms[s.slug]
        if term.cross_cutting or set(term.themes) & set(themes):
            outcomes.append(s.slug)
            chosen.outcomes.append(s.slug)
    cpv = [s.slug for s in suggestions.cpv if s.present]
    for s in suggestions.cpv:
        if not s.present and s.confidence >= min_confidence and len(cpv) < MAX_CPV:
            cpv.append(s.slug)
            chosen.cpv.append(s.slug)
    return chosen


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines
    y.indent(mapping=2, sequence=4, offset=2)  # the template's "  - title:" style
    return y


def _flow_seq(items: list[Any]):
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _extend(mapping: Any, key: str, values: list[Any], *, after: Sequence[str]) -> None:
    """Add ``values`` to the list at ``key``, keeping its style; create it in schema order."""
    from ruamel.yaml.comments import CommentedSeq

    if not values:
        return
    current = mapping.get(key) if key in mapping else None
    if isinstance(current, CommentedSeq):
        was_flow = current.fa.flow_style() or not current
        current.extend(values)
        if was_flow:
            current.fa.set_flow_style()
        return
    if key in mapping:  # null or a scalar: replace with a list
        mapping[key] = _flow_seq(values)
        return
    keys = list(mapping.keys())
    pos = 0
    for name in after:
        if name in keys:
            pos = max(pos, keys.index(name) + 1)
    mapping.insert(pos, key, _flow_seq(values))


_ORDER = (
    "title",
    "organisation",
    "organisation_type",
    "region",
    "years",
    "summary",
    "themes",
    "outcomes",
)


def apply_to_text(text: str, chosen: WriteResult) -> str:
    """``text`` with ``chosen`` added to its front matter; everything else byte-for-byte."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    newline = "\r\n" if "\r\n" in text else "\n"
    norm = text.replace("\r\n", "\n")
    yaml_text, body, _ = split(norm)  # raises FrontMatterError without front matter
    if not chosen.changed:
        return text
    lines = norm.split("\n")
    closing = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    y = _yaml()
    data = y.load(yaml_text)
    if data is None:
        from ruamel.yaml.comments import CommentedMap

        data = CommentedMap()
    if not hasattr(data, "insert"):
        raise ValueError("the front matter is not a mapping of 'field: value' lines")
    _extend(data, "themes", chosen.themes, after=_ORDER[: _ORDER.index("themes")])
    _extend(data, "outcomes", chosen.outcomes, after=_ORDER[: _ORDER.index("outcomes")])
    proc = data.get("procurement")
    if chosen.cpv and hasattr(proc, "insert"):
        _extend(
            proc,
            "cpv",
            [DoubleQuotedScalarString(c) for c in chosen.cpv],
            after=("scope",),
        )
    buf = io.StringIO()
    y.dump(data, buf)
    head = lines[0] + "\n" + buf.getvalue() + lines[closing] + "\n"
    out = head + body
    return out.replace("\n", newline) if newline != "\n" else out


def write_suggestions(path: Path, chosen: WriteResult) -> bool:
    """Apply ``chosen`` to the file at ``path``; returns whether it changed."""
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8")
    bom = text.startswith("\ufeff")
    new = apply_to_text(text.removeprefix("\ufeff"), chosen)
    if bom:
        new = "\ufeff" + new
    if new == text:
        return False
    Path(path).write_bytes(new.encode("utf-8"))
    return True


__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "SECTION_NAMES",
    "Draft",
    "LibraryEntry",
    "Suggestion",
    "Suggestions",
    "TagSuggester",
    "WriteResult",
    "apply_to_text",
    "choose",
    "load_entries",
    "make_suggester",
    "read_draft",
    "write_suggestions",
]
