"""Documents (what the engine indexes) and passages (what it embeds and shows as snippets).

``search`` is generic: the ``kb`` package turns case studies into :class:`Document` objects, and
BEIR corpora map to ``Document(id=_id, title=title, summary="", sections=[("", text)])``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: Metadata keys that are list-valued facets (filters and facet counts).
FACET_FIELDS: tuple[str, ...] = (
    "theme",
    "outcome",
    "region",
    "organisation_type",
    "cpv",
    "stage",
    "evidence",
)

#: Passage sizing: the model truncates at 256 word pieces, which is about 180-200 English words.
MAX_PASSAGE_WORDS = 180


@dataclass
class Document:
    id: str
    title: str
    summary: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    extra_text: str = ""

    def __post_init__(self) -> None:
        self.id = str(self.id)
        self.sections = [(str(h or ""), str(t or "")) for h, t in (self.sections or [])]
        self.metadata = dict(self.metadata or {})

    @property
    def all_extra_text(self) -> str:
        """``extra_text`` given as a field and/or as ``metadata["extra_text"]``."""
        meta_extra = self.metadata.get("extra_text") or ""
        return " ".join(t for t in (self.extra_text, meta_extra) if t)

    def facet_values(self, name: str) -> list[str]:
        value = self.metadata.get(name)
        if value is None:
            return []
        if isinstance(value, (list, tuple, set)):
            return [str(v) for v in value if v is not None and str(v) != ""]
        return [str(value)]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["sections"] = [list(s) for s in self.sections]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Document:
        return cls(
            id=d["id"],
            title=d.get("title", ""),
            summary=d.get("summary", ""),
            sections=[tuple(s) for s in d.get("sections", [])],
            metadata=d.get("metadata", {}),
            extra_text=d.get("extra_text", ""),
        )

    def fingerprint(self) -> str:
        """A stable hash of everything indexed about the document."""
        blob = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Passage:
    doc_index: int
    heading: str  # "" for the title/summary passage of a case study or a BEIR text chunk
    text: str  # plain text shown as a snippet
    kind: str  # "summary" | "section"

    def embedding_text(self, title: str) -> str:
        """What is embedded: the document title gives each chunk its context."""
        head = f"{title}. {self.heading}." if self.heading else f"{title}."
        if self.kind == "summary":
            return f"{title}. {self.text}" if self.text else title
        return f"{head} {self.text}" if title else self.text


_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_AUTOLINK_RE = re.compile(r"<(https?://[^>]+|mailto:[^>]+)>")
_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s*(.*?)\s*#*\s*$", re.MULTILINE)
# A list marker starts a line: "-", "*", "+" or a number of up to three digits and "." or ")".
# A year that a hard-wrapped paragraph happens to start a line with ("2019. Most were ...") is
# text, not a list number (CommonMark lets only "1." interrupt a paragraph), so it is kept.
_LIST_RE = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+", re.MULTILINE)
_QUOTE_RE = re.compile(r"^\s*>\s?", re.MULTILINE)
_EMPH_RE = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_TABLE_SEP_RE = re.compile(r"^\s*\|?\s*:?-{2,}.*$", re.MULTILINE)
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][^>]*>")


def markdown_to_text(md: str) -> str:
    """Plain text of a Markdown fragment, keeping paragraph breaks (good enough for indexing)."""
    if not md:
        return ""
    text = md.replace("\r\n", "\n")
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = _LINK_RE.sub(r"\1", text)
    text = _AUTOLINK_RE.sub(r"\1", text)
    text = _TABLE_SEP_RE.sub("", text)
    text = _HEADING_RE.sub(lambda m: m.group(1) + ".", text)
    text = _LIST_RE.sub("", text)
    text = _QUOTE_RE.sub("", text)
    for _ in range(2):
        text = _EMPH_RE.sub(r"\2", text)
    text = _HTML_TAG_RE.sub(" ", text)
    text = text.replace("|", " ")
    paras = [re.sub(r"[ \t]+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(" ".join(p.split("\n")) for p in paras if p)


_SENT_RE = re.compile(r"(?<=[.!?;:])\s+(?=[\"'“‘(\[]?[A-Z0-9£])")


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for para in text.split("\n\n"):
        out.extend(s.strip() for s in _SENT_RE.split(para) if s.strip())
    return out


def split_words(text: str, max_words: int = MAX_PASSAGE_WORDS) -> list[str]:
    """Split plain text into chunks of at most ``max_words`` words, evenly, at sentence ends."""
    words = text.split()
    total = len(words)
    if total <= max_words:
        return [" ".join(words)] if words else []
    n = math.ceil(total / max_words)
    target = total / n
    # Sentence units, each no longer than max_words.
    units: list[list[str]] = []
    for s in _sentences(text):
        sw = s.split()
        while len(sw) > max_words:
            units.append(sw[: int(target)])
            sw = sw[int(target) :]
        if sw:
            units.append(sw)
    # Cut at the sentence ends nearest to multiples of the even chunk size.
    ends = np.cumsum([len(u) for u in units])
    cuts: list[int] = []
    prev = 0
    for k in range(1, n):
        want = k * target
        j = int(np.argmin(np.abs(ends - want)))
        j = max(j, prev)
        if j + 1 >= len(units):
            break
        cuts.append(j + 1)
        prev = j + 1
    chunks: list[list[str]] = []
    start = 0
    for c in [*cuts, len(units)]:
        words_c = [w for u in units[start:c] for w in u]
        start = c
        parts = math.ceil(len(words_c) / max_words)  # a run of long sentences: split evenly
        size = math.ceil(len(words_c) / parts) if parts else 0
        chunks.extend(words_c[i : i + size] for i in range(0, len(words_c), size or 1))
    return [" ".join(c) for c in chunks]


def split_passages(
    doc: Document, doc_index: int, max_words: int = MAX_PASSAGE_WORDS
) -> list[Passage]:
    """Title+summary passage (when there is a summary), then each section in chunks."""
    passages: list[Passage] = []
    summary = markdown_to_text(doc.summary)
    if summary:
        passages.append(Passage(doc_index, "", summary, "summary"))
    for heading, body in doc.sections:
        plain = markdown_to_text(body)
        for chunk in split_words(plain, max_words):
            passages.append(Passage(doc_index, heading, chunk, "section"))
    if not passages:  # title only
        passages.append(Passage(doc_index, "", "", "summary"))
    return passages


def keyword_text(doc: Document) -> str:
    """Everything the keyword index sees for one document."""
    parts = [doc.title, markdown_to_text(doc.summary)]
    for heading, body in doc.sections:
        parts.append(heading)
        parts.append(markdown_to_text(body))
    parts.append(doc.all_extra_text)
    return "\n".join(p for p in parts if p)
