"""The "suggest a case study" form: reading the answers, checking them, and the file they make.

No request handling here: web/suggest.py is the router. The checks are the drafting service's
(kb/services/drafting.py, the same as `kb new`), then the validator's on the generated file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from kb.content import rules
from kb.content.rules import MAX_FILE_BYTES, SCOPES, SECTION_NAMES, SOURCE_TYPES
from kb.content.taxonomy import Taxonomy, Vocabulary
from kb.content.validate import Problem, check_bytes
from kb.services.drafting import check_draft, parse_cpv
from kb.services.scaffold import (
    CaseStudyDraft,
    RenderedFile,
    SourceDraft,
    render_case_study,
    slugify,
)

SOURCE_ROWS = 5
#: GitHub's new-file page takes the content in the URL; browsers and GitHub refuse very long
#: URLs (about 8 KB is safe everywhere), so longer files are cut at a line and the page says so.
MAX_PREFILL_URL = 8000
SECTION_FIELDS = {f"section-{name.lower()}": name for name in SECTION_NAMES}
#: Longest value accepted for each text field (characters).
LIMITS = {
    "title": rules.TITLE_CHARS.max,
    "organisation": rules.ORGANISATION_CHARS.max,
    "summary": rules.SUMMARY_CHARS.max,
    "year_start": 4,
    "year_end": 4,
    "cpv": 200,
    "value_gbp": 20,
    "last_reviewed": 10,
    "source_title": rules.SOURCE_TITLE_CHARS.max,
    "source_url": rules.URL_MAX_CHARS,
    **dict.fromkeys(SECTION_FIELDS, rules.MAX_SECTION_CHARS),
}
LIST_FIELDS = ("region", "themes", "outcomes", "stages")
SCALAR_FIELDS = (
    "title",
    "organisation",
    "organisation_type",
    "year_start",
    "year_end",
    "summary",
    "scope",
    "cpv",
    "value_gbp",
    "evidence",
    "last_reviewed",
    *SECTION_FIELDS,
)
SCOPE_CHOICES = (
    ("contract", "A contract", "Social value asked for and delivered in one contract."),
    ("programme", "A programme", "A programme of contracts or works, such as a capital programme."),
    ("cross-cutting", "A policy across spend", "A policy, charter or framework across spend."),
    ("not-procurement", "Not procurement", "Work done without buying, such as an asset transfer."),
)

# Where validator problems on each line of the generated file belong on the form.
_FIELD_FOR_SPAN = {
    "title": "title",
    "organisation": "organisation",
    "organisation_type": "organisation_type",
    "region": "region",
    "years": "year_start",
    "summary": "summary",
    "themes": "themes",
    "outcomes": "outcomes",
    "scope": "scope",
    "cpv": "cpv",
    "value_gbp": "value_gbp",
    "stages": "stages",
    "procurement": "scope",
    "evidence": "evidence",
    "sources": "source-1-url",
    "last_reviewed": "last_reviewed",
}


#: The form's five parts, asked one page at a time (GOV.UK question pages), then checked whole.
PARTS = ("About the work", "Tags", "The procurement", "Evidence and sources", "The case study")
_PART_OF = {
    **dict.fromkeys(
        (
            "title",
            "organisation",
            "organisation_type",
            "region",
            "year_start",
            "year_end",
            "summary",
        ),
        1,
    ),
    **dict.fromkeys(("themes", "outcomes"), 2),
    **dict.fromkeys(("scope", "cpv", "value_gbp", "stages"), 3),
    **dict.fromkeys(("evidence", "last_reviewed"), 4),
    **dict.fromkeys(SECTION_FIELDS, 5),
}


def part_of(name: str) -> int:
    """The part (1 to 5) a form field is asked in."""
    if name.startswith("source-"):
        return 4
    return _PART_OF.get(name, 1)


@dataclass
class FormResult:
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field id, message)
    warnings: list[str] = field(default_factory=list)
    markdown: str = ""
    slug: str = ""
    draft: CaseStudyDraft | None = None

    @property
    def error_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for fid, msg in self.errors:
            out.setdefault(fid, msg)
        return out


def empty_values() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(SCALAR_FIELDS, "")
    values.update({name: [] for name in LIST_FIELDS})
    # No publisher is pre-selected (GOV.UK radios guidance): the contributor says which.
    values["sources"] = [{"title": "", "url": "", "type": ""} for _ in range(SOURCE_ROWS)]
    values["last_reviewed"] = dt.date.today().isoformat()
    return values


def read_values(items: list[tuple[str, str]]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Form items -> values to redisplay, plus errors for over-long fields."""
    values = empty_values()
    errors: list[tuple[str, str]] = []
    src_re = re.compile(r"^source-([1-9])-(title|url|type)$")
    for key, raw in items:
        value = raw.replace("\r\n", "\n").replace("\x00", "")
        m = src_re.match(key)
        if m:
            row = int(m.group(1)) - 1
            part = m.group(2)
            if row < SOURCE_ROWS:
                limit = LIMITS["source_title" if part == "title" else "source_url"]
                if len(value) > limit:
                    errors.append(
                        (key, f"Source {row + 1} {part} must be {limit:,} characters or fewer")
                    )
                    value = value[:limit]
                values["sources"][row][part] = value.strip()
        elif key in LIST_FIELDS:
            if len(values[key]) < 60 and len(value) <= 80:
                values[key].append(value.strip())
        elif key in SCALAR_FIELDS:
            limit = LIMITS.get(key, 100)
            if len(value) > limit:
                errors.append((key, f"{_label(key)} must be {limit:,} characters or fewer"))
                value = value[:limit]
            values[key] = value.strip() if key not in SECTION_FIELDS else value.strip("\n ")
    return values, errors


def _label(key: str) -> str:
    return {
        "title": "Title",
        "organisation": "Organisation",
        "summary": "Summary",
        "year_start": "First year",
        "year_end": "Last year",
        "cpv": "CPV divisions",
        "value_gbp": "Value",
        "last_reviewed": "Date you checked the sources",
    }.get(key, SECTION_FIELDS.get(key, key).capitalize() + " section")


def _year(value: str) -> int | None:
    return int(value) if re.fullmatch(r"\d{4}", value or "") else None


def _form_field(draft_field: str) -> str:
    """The form input for a field of the draft (``sources.2.url`` -> ``source-2-url``)."""
    if draft_field.startswith("sources."):
        _, row, part = draft_field.split(".")
        return f"source-{row}-{part}"
    return {"regions": "region"}.get(draft_field, draft_field)


def _known(values: list[str], vocab: Vocabulary) -> list[str]:
    # Checkbox values outside the taxonomy can only come from a tampered form: drop them.
    return [v for v in values if v in vocab]


def _parse_answers(
    values: dict[str, Any], taxonomy: Taxonomy, today: dt.date
) -> tuple[CaseStudyDraft, list[tuple[str, str]]]:
    """The form's answers as a draft, and the errors only the form can make (unreadable
    years, values, dates and CPV codes)."""
    errors: list[tuple[str, str]] = []
    start, end = _year(values["year_start"]), _year(values["year_end"])
    if values["year_start"] and start is None:
        errors.append(("year_start", f"First year must be a year between 1990 and {today.year}"))
    if values["year_end"] and end is None:
        errors.append(("year_end", f"Last year must be a year no later than {today.year}"))
    divisions, bad = parse_cpv(values["cpv"], taxonomy)
    errors += [
        ("cpv", f"“{code}” is not a CPV division: enter two digits, like 45") for code in bad
    ]
    value_gbp = None
    if values["value_gbp"]:
        cleaned = values["value_gbp"].replace(",", "").replace("£", "").strip()
        if re.fullmatch(r"\d{1,13}", cleaned):
            value_gbp = int(cleaned)
        else:
            errors.append(("value_gbp", "Value must be a whole number of pounds, like 250000"))
    reviewed = None
    try:
        reviewed = dt.date.fromisoformat(values["last_reviewed"])
        if reviewed > today:
            errors.append(
                ("last_reviewed", "The date you checked the sources must be today or in the past")
            )
    except ValueError:
        errors.append(("last_reviewed", "Enter the date you checked the sources, like 2025-06-30"))
    sources = [
        SourceDraft(src["title"], src["url"], src["type"] if src["type"] in SOURCE_TYPES else "own")
        for src in values["sources"]
        if src["title"] or src["url"]
    ]
    for i, src in enumerate(values["sources"], start=1):
        if (src["title"] or src["url"]) and src["type"] not in SOURCE_TYPES:
            errors.append(
                (
                    f"source-{i}-type",
                    f"Select who published source {i}: the organisation or someone independent",
                )
            )
    draft = CaseStudyDraft(
        title=values["title"],
        organisation=values["organisation"],
        organisation_type=values["organisation_type"]
        if values["organisation_type"] in taxonomy.organisation_types
        else "",
        regions=_known(values["region"], taxonomy.regions),
        year_start=start,
        year_end=end if values["year_end"] else None,
        summary=values["summary"],
        themes=_known(values["themes"], taxonomy.themes),
        outcomes=_known(values["outcomes"], taxonomy.outcomes),
        scope=values["scope"] if values["scope"] in SCOPES else "",
        cpv=divisions,
        value_gbp=value_gbp,
        stages=_known(values["stages"], taxonomy.procurement_stages),
        evidence=values["evidence"] if values["evidence"] in taxonomy.evidence_levels else "",
        sources=sources,
        last_reviewed=reviewed if reviewed and reviewed <= today else today,
        sections={name: values[key] for key, name in SECTION_FIELDS.items()},
    )
    return draft, errors


def _identity_errors(
    values: dict[str, Any], draft: CaseStudyDraft, existing: dict[str, str]
) -> list[tuple[str, str]]:
    """Sections left empty, and a title whose address or wording is already taken."""
    errors = [
        (key, f"Write the {name} section")
        for key, name in SECTION_FIELDS.items()
        if not values[key].strip()
    ]
    title = draft.title
    slug = slugify(title)
    if title and len(slug) < 3:
        errors.append(("title", "Title must contain some letters or numbers"))
    clash = existing.get(slug) or existing.get(title.strip().lower())
    if title and clash:
        errors.append(
            (
                "title",
                f"A case study with this title or address already exists ({clash}): "
                "change the title, or suggest changes to that case study instead",
            )
        )
    return errors


def check_form(
    values: dict[str, Any],
    taxonomy: Taxonomy,
    *,
    existing: dict[str, str] | None = None,
    today: dt.date | None = None,
) -> FormResult:
    """The rules' checks of the answers, then the validator's checks of the file they make.

    ``existing`` maps slugs and lower-cased titles already in the library to their slugs.
    """
    today = today or dt.date.today()
    draft, errors = _parse_answers(values, taxonomy, today)
    have = {fid for fid, _ in errors}
    for problem in check_draft(draft, taxonomy, complete=True, today=today):
        fid = _form_field(problem.field)
        if fid not in have:  # one message per field: the form's own reading comes first
            errors.append((fid, problem.message))
    errors += _identity_errors(values, draft, existing or {})
    rendered = render_case_study(draft, today=today)
    result = FormResult(values, errors, slug=slugify(draft.title) or "case-study", draft=draft)
    result.markdown = rendered.text
    _add_validator_problems(result, rendered, taxonomy, today)
    if len(rendered.text.encode("utf-8")) > MAX_FILE_BYTES:
        errors.append(("section-approach", "The case study is too long: keep it under 64 KB"))
    order = _field_order()
    errors.sort(key=lambda e: order.get(e[0], 999))
    result.warnings += _wording_warnings(values)
    return result


#: Words that claim results, which a case study with only commitments cannot support.
_DELIVERED = re.compile(
    r"\b(delivered|achieved|created|generated|resulted in|were employed|have been employed)\b",
    re.IGNORECASE,
)


def _wording_warnings(values: dict[str, Any]) -> list[str]:
    """A commitments-only case study that speaks of results as delivered."""
    if values.get("evidence") != "commitments-only":
        return []
    out = []
    for key, where in (("summary", "summary"), ("section-outcomes", "Outcomes section")):
        m = _DELIVERED.search(values.get(key) or "")
        if m:
            out.append(
                f"The evidence is “Commitments or targets only”, but the {where} says "
                f"“{m.group(0)}”. If a source reports delivered results, choose the evidence "
                "level it supports; if not, describe them as commitments or targets."
            )
    return out


def _add_validator_problems(
    result: FormResult, rendered: RenderedFile, taxonomy: Taxonomy, today: dt.date
) -> None:
    _, problems = check_bytes(
        f"{result.slug}.md", result.slug, rendered.text.encode("utf-8"), taxonomy, today
    )
    have = {fid for fid, _ in result.errors}
    for p in problems:
        if p.code == "bad-slug":
            continue  # the title's errors say it better
        fid = _field_for(rendered.field_at(p.line), p)
        if p.severity == "warning":
            result.warnings.append(_plain(p.message))
        elif fid not in have and _row(fid) not in {_row(h) for h in have}:
            # One message per field, and per source: the form's own reading already said it.
            result.errors.append((fid, _plain(p.message)))
            have.add(fid)


def _row(fid: str) -> str:
    """The source row a field belongs to (``source-2-url`` -> ``source-2``), else the field."""
    m = re.match(r"^(source-\d+)-", fid)
    return m.group(1) if m else fid


def _field_for(span: str | None, problem: Problem) -> str:
    if span is None:
        return "title"
    if span.startswith("section."):
        return "section-" + span.removeprefix("section.").lower()
    if span.startswith("sources."):
        row = int(span.split(".")[1]) + 1
        return f"source-{row}-url" if "url" in problem.message.lower() else f"source-{row}-title"
    return _FIELD_FOR_SPAN.get(span, "title")


def _plain(message: str) -> str:
    """A validator message, with the file-oriented parts turned into form language."""
    message = re.sub(r"'([a-z_.\[\]0-9]+)': ", "", message)
    # "(got None)", "(got 'www.x')": the field already shows what was typed.
    message = re.sub(r"\s*\(got [^)]*\)", "", message)
    return message[:1].upper() + message[1:]


def _field_order() -> dict[str, int]:
    names = [
        "title",
        "organisation",
        "organisation_type",
        "region",
        "year_start",
        "year_end",
        "summary",
        "themes",
        "outcomes",
        "scope",
        "cpv",
        "value_gbp",
        "stages",
        "evidence",
        *(f"source-{i}-{p}" for i in range(1, SOURCE_ROWS + 1) for p in ("title", "url", "type")),
        "last_reviewed",
        *SECTION_FIELDS,
    ]
    return {n: i for i, n in enumerate(names)}


def hidden_fields(values: dict[str, Any]) -> list[tuple[str, str]]:
    """The answers as (name, value) pairs, to carry them to the download without storing them."""
    out: list[tuple[str, str]] = []
    for key in SCALAR_FIELDS:
        if values.get(key):
            out.append((key, values[key]))
    for key in LIST_FIELDS:
        out.extend((key, v) for v in values.get(key, []))
    for i, src in enumerate(values.get("sources", []), start=1):
        for part in ("title", "url", "type"):
            if src.get(part):
                out.append((f"source-{i}-{part}", src[part]))
    return out


def new_file_url(repository_url: str, branch: str, slug: str, markdown: str) -> tuple[str, bool]:
    """GitHub's "create new file" URL with the file filled in; (url, whether it was cut).

    When the whole file does not fit in MAX_PREFILL_URL characters, the content is cut at the
    last whole line that fits, and the caller tells the contributor to paste the rest.
    """
    base = (
        f"{repository_url.rstrip('/')}/new/{quote(branch, safe='')}"
        f"?filename={quote(f'content/casestudies/{slug}.md', safe='/')}&value="
    )
    encoded = quote(markdown, safe="")
    if len(base) + len(encoded) <= MAX_PREFILL_URL:
        return base + encoded, False
    budget = MAX_PREFILL_URL - len(base)
    lines = markdown.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        piece = quote(line + "\n", safe="")
        if size + len(piece) > budget:
            break
        kept.append(line)
        size += len(piece)
    return base + quote("\n".join(kept) + "\n", safe=""), True


# --- a filled-in file, pasted or uploaded -----------------------------------------------------

_SECTION_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def _scalar(value: Any) -> str:
    """A front-matter value as the form would hold it (lists and mappings are not scalars)."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [_scalar(v) for v in items if _scalar(v)]


def items_from_markdown(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """A case study file (the template filled in) as the form's (name, value) answers.

    Returns the answers and notes on what the form cannot carry. Raises FrontMatterError
    (with a line number) when the front matter cannot be read at all.
    """
    from kb.content.frontmatter import parse

    parsed = parse(text.replace("\r\n", "\n").lstrip("\ufeff"))
    data = parsed.data
    notes: list[str] = []
    items: list[tuple[str, str]] = []
    for key in ("title", "organisation", "organisation_type", "summary", "evidence"):
        items.append((key, _scalar(data.get(key))))
    items.append(("last_reviewed", _scalar(data.get("last_reviewed"))))
    items += [("region", v) for v in _strings(data.get("region"))]
    items += [("themes", v) for v in _strings(data.get("themes"))]
    items += [("outcomes", v) for v in _strings(data.get("outcomes"))]
    years = _mapping(data.get("years"))
    items += [("year_start", _scalar(years.get("start"))), ("year_end", _scalar(years.get("end")))]
    proc = _mapping(data.get("procurement"))
    items.append(("scope", _scalar(proc.get("scope"))))
    items.append(("cpv", ", ".join(_strings(proc.get("cpv")))))
    items.append(("value_gbp", _scalar(proc.get("value_gbp"))))
    items += [("stages", v) for v in _strings(proc.get("stages"))]
    raw_sources = data.get("sources")
    sources: list[Any] = raw_sources if isinstance(raw_sources, list) else []
    for i, src in enumerate(sources[:SOURCE_ROWS], start=1):
        if isinstance(src, dict):
            for part in ("title", "url", "type"):
                items.append((f"source-{i}-{part}", _scalar(src.get(part))))
    if len(sources) > SOURCE_ROWS:
        notes.append(
            f"The file lists {len(sources)} sources; this form takes {SOURCE_ROWS}. Add the "
            "others to the downloaded file, or send the file as it is."
        )
    if _scalar(data.get("title")).startswith("Short, specific title"):
        notes.append("This looks like the template as it comes: replace its example answers.")
    if data.get("asks") or data.get("weighting"):
        notes.append(
            "The file's contract evidence (asks and weighting) is not part of this form: add it "
            "back to the downloaded file before you send it."
        )
    sections: dict[str, list[str]] = {name: [] for name in SECTION_NAMES}
    current: str | None = None
    for line in parsed.body.split("\n"):
        m = _SECTION_HEADING.match(line)
        if m and m.group(1).strip().title() in sections:
            current = m.group(1).strip().title()
            continue
        if current is not None:
            sections[current].append(line)
    for key, name in SECTION_FIELDS.items():
        items.append((key, "\n".join(sections[name]).strip("\n ")))
    return [(k, v) for k, v in items if v != ""], notes
