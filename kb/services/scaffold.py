"""Write a new case-study file: a clean slug and the template's front matter, filled in.

Used by `kb new` and by the web app's "Suggest a case study" form, so both produce the same
file. Fields that are not known yet are left empty with a comment saying what goes there: the
validator then points at each one, rather than a plausible-looking placeholder slipping through.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field

import yaml

from kb.content.rules import SCOPES, SECTION_NAMES

#: Longest slug `derive_slug` makes (the format allows 80; shorter addresses read better).
SLUG_TARGET_LENGTH = 60
#: Words dropped from slugs: they make addresses longer without making them clearer.
_SLUG_STOPWORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "from", "in", "into", "its", "of", "on", "or", "our"}
    | {"the", "their", "to", "with"}
)

#: What each body section should hold (from content/TEMPLATE.md and docs/case-study-format.md).
SECTION_GUIDANCE = {
    "Challenge": "the problem or opportunity the organisation faced, in its own context.",
    "Approach": "what it did (policy, specification, evaluation weighting, contract terms, "
    "partners), specifically enough for another buyer to copy.",
    "Outcomes": "what the sources report, every figure from a listed source; say whether results "
    "are self-reported, independently evaluated or only commitments. If nothing is published, "
    "say so.",
    "Lessons": "what another buyer can take from it, kept to what the evidence supports.",
}


def slugify(text: str, max_length: int = SLUG_TARGET_LENGTH) -> str:
    """A slug from free text: ASCII lower-case words joined by single hyphens.

    Accents are folded ("Môn" -> "mon"), "&" becomes "and", apostrophes vanish ("council's" ->
    "councils"), filler words are dropped, and the result is cut at a word boundary so that it
    is at most ``max_length`` characters. Returns "" when nothing usable is left.
    """
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    folded = folded.lower().replace("&", " and ")
    folded = re.sub(r"['`]", "", folded)
    words = re.findall(r"[a-z0-9]+", folded)
    kept = [w for w in words if w not in _SLUG_STOPWORDS] or words
    slug = ""
    for word in kept:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            if not slug:  # one very long word: cut it
                slug = word[:max_length]
            break
        slug = candidate
    return slug.strip("-")


@dataclass
class SourceDraft:
    title: str = ""
    url: str = ""
    type: str = "own"


@dataclass
class CaseStudyDraft:
    """Everything a new case study's file holds. Empty values are written as 'to be filled'."""

    title: str = ""
    organisation: str = ""
    organisation_type: str = ""
    regions: list[str] = field(default_factory=list)
    year_start: int | None = None
    year_end: int | None = None
    summary: str = ""
    themes: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    scope: str = ""
    cpv: list[str] = field(default_factory=list)
    value_gbp: int | None = None
    stages: list[str] = field(default_factory=list)
    evidence: str = ""
    sources: list[SourceDraft] = field(default_factory=list)
    last_reviewed: dt.date | None = None
    sections: dict[str, str] = field(default_factory=dict)

    def slug(self) -> str:
        return slugify(self.title)


@dataclass
class RenderedFile:
    """The file's text and, for each form field, the lines it occupies (1-based, inclusive)."""

    text: str
    lines: dict[str, tuple[int, int]]

    def field_at(self, line: int) -> str | None:
        """The field whose lines include ``line`` (for placing validator messages on a form)."""
        best: str | None = None
        best_span = 10**9
        for name, (first, last) in self.lines.items():
            if first <= line <= last and last - first < best_span:
                best, best_span = name, last - first
        return best


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML double-quoted strings)."""
    return json.dumps(value, ensure_ascii=False)


def _clean(value: str) -> str:
    """One-line text: control characters and runs of whitespace become single spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in value or "").split())


def _plain_slug_list(values: list[str]) -> str:
    # Slugs are validated elsewhere; quote anything that is not a plain slug so YAML stays valid.
    return (
        "["
        + ", ".join(v if re.fullmatch(r"[a-z0-9][a-z0-9-]*", v) else _q(v) for v in values)
        + "]"
    )


def _folded(value: str, indent: str = "  ", width: int = 96) -> list[str]:
    """A `>-` folded block for prose, if it round-trips exactly; else a quoted scalar."""
    text = _clean(value)
    lines = textwrap.wrap(
        text, width=width - len(indent), break_long_words=False, break_on_hyphens=False
    )
    block = ">-\n" + "\n".join(indent + ln for ln in lines)
    try:
        if yaml.safe_load("k: " + block) == {"k": text}:
            return block.split("\n")
    except yaml.YAMLError:
        pass
    return [_q(text)]


def render_case_study(draft: CaseStudyDraft, today: dt.date | None = None) -> RenderedFile:
    """The Markdown file for ``draft``, in the template's layout, with line numbers per field."""
    today = today or dt.date.today()
    out: list[str] = ["---"]
    spans: dict[str, tuple[int, int]] = {}

    def put(name: str | None, *lines: str) -> None:
        first = len(out) + 1
        out.extend(lines)
        if name:
            spans[name] = (first, len(out))

    title = _clean(draft.title)
    put(
        "title",
        f"title: {_q(title)}" if title else 'title: ""  # what was bought or done, and by whom',
    )
    org = _clean(draft.organisation)
    put(
        "organisation",
        f"organisation: {_q(org)}" if org else 'organisation: ""  # as it names itself',
    )
    put(
        "organisation_type",
        f"organisation_type: {draft.organisation_type}"
        if draft.organisation_type
        else "organisation_type:  # e.g. local-authority (see organisation_types in taxonomy.yaml)",
    )
    regions = [r for r in draft.regions if r]
    if len(regions) == 1:
        put("region", f"region: {_plain_slug_list(regions)[1:-1]}")
    elif regions:
        put("region", f"region: {_plain_slug_list(regions)}")
    else:
        put("region", "region:  # e.g. north-east, or a list of up to 4: [north-east, north-west]")
    years = ["years:"]
    years.append(
        f"  start: {draft.year_start}"
        if draft.year_start is not None
        else "  start:  # the year the work began, e.g. 2021"
    )
    if draft.year_end is not None:
        years.append(f"  end: {draft.year_end}")
    else:
        years.append("  # end: 2023  (add the year it ended; leave out if the work continues)")
    put("years", *years)
    summary = _clean(draft.summary)
    if summary:
        block = _folded(summary)
        put("summary", f"summary: {block[0]}", *block[1:])
    else:
        put(
            "summary",
            'summary: ""  # 1 to 3 sentences (40-600 characters): what was done and what came of it',
        )
    hint = "  # `kb suggest-tags FILE --write` proposes some"
    put("themes", f"themes: {_plain_slug_list(draft.themes)}" + ("" if draft.themes else hint))
    put(
        "outcomes",
        f"outcomes: {_plain_slug_list(draft.outcomes)}" + ("" if draft.outcomes else hint),
    )
    proc = ["procurement:"]
    scope_hint = "  # " + " | ".join(SCOPES)
    proc.append(f"  scope: {draft.scope}{scope_hint}" if draft.scope else f"  scope:{scope_hint}")
    cpv = "[" + ", ".join(_q(c) for c in draft.cpv) + "]"
    proc.append(
        f"  cpv: {cpv}  # two-digit CPV divisions; may be empty only for cross-cutting or "
        "not-procurement"
    )
    if draft.value_gbp is not None:
        proc.append(f"  value_gbp: {int(draft.value_gbp)}  # only if a source states it")
    else:
        proc.append(
            "  # value_gbp: 1000000  (optional: the value in pounds, only if a source states it)"
        )
    proc.append(
        f"  stages: {_plain_slug_list(draft.stages)}"
        + (
            ""
            if draft.stages
            else "  # 1-5 of: policy-strategy, pre-procurement, specification, "
            "evaluation-award, contract-management"
        )
    )
    put("procurement", *proc)
    # Finer spans inside procurement, for placing messages next to form fields.
    base = spans["procurement"][0]
    spans["scope"] = (base + 1, base + 1)
    spans["cpv"] = (base + 2, base + 2)
    spans["value_gbp"] = (base + 3, base + 3)
    spans["stages"] = (base + 4, base + 4)
    evidence_hint = "  # independent-evaluation | self-reported | commitments-only | policy-only"
    put(
        "evidence",
        f"evidence: {draft.evidence}{evidence_hint}"
        if draft.evidence
        else f"evidence:{evidence_hint}",
    )
    sources = [s for s in draft.sources if s.title.strip() or s.url.strip()]
    if sources:
        put("sources", "sources:")
        for i, src in enumerate(sources):
            put(
                f"sources.{i}",
                f"  - title: {_q(_clean(src.title))}",
                f"    url: {_q(src.url.strip())}",
                f"    type: {src.type or 'own'}  # own (the organisation's or its partners') | independent",
            )
        spans["sources"] = (spans["sources"][0], len(out))
    else:
        put(
            "sources",
            "sources:  # one entry per source, for example:",
            '  # - title: "Title of the page or report"',
            '  #   url: "https://www.example.gov.uk/social-value-report"',
            "  #   type: own  # own (the organisation's or its partners') | independent",
        )
    reviewed = draft.last_reviewed or today
    put("last_reviewed", f"last_reviewed: {reviewed.isoformat()}  # when you checked the sources")
    out.append("---")
    for name in SECTION_NAMES:
        text = (draft.sections.get(name) or "").replace("\r\n", "\n").strip()
        first = len(out) + 2
        out.append("")
        out.append(f"## {name}")
        out.append("")
        if text:
            out.extend(text.split("\n"))
        spans[f"section.{name}"] = (first, len(out))
    # Keep the body's text inside its own sections: a stray '---' or '## ' is left to the
    # validator, which reports it against the right line.
    return RenderedFile("\n".join(out) + "\n", spans)


def body_guidance() -> str:
    """What to write in each section, for `kb new`'s closing message."""
    return "\n".join(f"  ## {name}: {text}" for name, text in SECTION_GUIDANCE.items())
