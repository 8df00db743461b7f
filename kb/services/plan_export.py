"""A social value plan as Markdown and as a Word file, for pasting into a tender pack.

Both are written from the same outline (`plan_outline`), so the web page, `/plan.md`,
`/plan.docx` and `kb plan` never disagree about what the plan says.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from urllib.parse import urlencode

from kb.services.amounts import format_pounds
from kb.services.plan import EvidenceAsk, Plan, PlanOutcome
from kb.services.recommend import ProcurementRequest
from kb.store.catalogue import Catalogue

MATCH_LABELS = {
    "close": "Close match",
    "partial": "Partial match",
    "none": "No close match",
}
STATUS_LABELS = {
    "delivered": "delivered",
    "in-progress": "in progress",
    "commitment": "committed, no result yet",
    "not-met": "target not met",
}


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: list[tuple[str, ...]] = field(default_factory=list)  # first row is the header
    bullets: list[str] = field(default_factory=list)
    level: int = 2


def _source_text(source: str, base_url: str) -> str:
    if source.startswith("case-study:"):
        return f"{base_url}/case-studies/{source.split(':', 1)[1]}"
    return source


def reading_rows(plan: Plan, catalogue: Catalogue) -> list[tuple[str, str]]:
    """ "How we read your procurement", as label and value."""
    read, req, tax = plan.procurement, plan.procurement.request, catalogue.taxonomy
    rows = [
        (
            "Kind of contract",
            f"{read.category.label} ({read.category_how})" if read.category else "Not recognised",
        ),
        (
            "Value",
            (f"{format_pounds(req.value_gbp)}" + (f", band {read.band.label}" if read.band else ""))
            if req.value_gbp is not None
            else "Not given",
        ),
        ("Length", f"{req.duration_months} months" if req.duration_months else "Not given"),
        ("Region", tax.regions.label(req.region) if req.region else "Not given"),
    ]
    if req.buyer_type:
        rows.append(("Buyer", tax.organisation_types.label(req.buyer_type)))
    if req.themes:
        rows.append(("Your priorities", ", ".join(tax.themes.label(t) for t in req.themes)))
    if read.needs:
        rows.append(
            (
                "Needs your description names",
                "; ".join(f"{tax.outcomes.label(s)} (“{p}”)" for s, p in read.needs.items()),
            )
        )
    return rows


def _outcome_section(i: int, o: PlanOutcome, ask: str, base_url: str) -> Section:
    s = Section(f"{i}. {o.label}", level=3)
    s.paragraphs.extend(o.why)
    if o.ask:
        s.paragraphs.append(
            ("The ask" if ask == "commitment" else "The ask (a plan)") + f": {o.ask}"
        )
    if o.guide:
        s.paragraphs.append(f"Award question: {o.guide.question}")
        s.table = [
            ("Measure", "Unit", "Evidenced by"),
            *((m.what, m.unit, m.evidence) for m in o.guide.measures),
        ]
        if o.guide.model_outcome:
            s.paragraphs.append(
                f"Social Value Model outcome: {o.guide.model_outcome} "
                f"({o.guide.model_outcome_source})"
            )
    for ev in o.evidence:
        s.bullets.append(
            evidence_line(ev) + f" Case study: {base_url}/case-studies/{ev.case_study.slug}"
        )
    if o.guide and o.guide.sources:
        s.paragraphs.append(
            "Sources: " + ", ".join(_source_text(x, base_url) for x in o.guide.sources)
        )
    return s


def evidence_line(ev: EvidenceAsk) -> str:
    """What a similar buyer required and achieved, in one sentence, with its source."""
    a = ev.ask
    parts = [f"{ev.case_study.organisation} required: {a.get('requirement')}"]
    if a.get("target"):
        parts.append(f"target {a['target']}")
    if a.get("result"):
        parts.append(f"result {a['result']}")
    parts.append(STATUS_LABELS.get(str(a.get("status")), str(a.get("status"))))
    return "; ".join(parts) + f". Source: {a.get('source')}."


def plan_outline(plan: Plan, catalogue: Catalogue, base_url: str) -> tuple[str, list[Section]]:
    req = plan.procurement.request
    title = "Social value plan" + (f": {req.title}" if req.title else "")
    sections = [
        Section(
            "How we read your procurement",
            table=[("", ""), *reading_rows(plan, catalogue)],
        ),
        Section(
            f"Match: {MATCH_LABELS[plan.match_level]}",
            paragraphs=[plan.match_message, plan.proportionality],
        ),
    ]
    sections.extend(
        _outcome_section(i, o, plan.procurement.ask, base_url)
        for i, o in enumerate(plan.outcomes, 1)
    )
    if plan.outcomes:
        sections.insert(2, Section("Priority outcomes"))
    if plan.buyer_notes:
        sections.append(
            Section(
                "For the buyer, not the supplier",
                bullets=[f"{label}: {note}" for _, label, note in plan.buyer_notes],
            )
        )
    w = plan.weighting
    weighting = Section("Weighting")
    if w.national_minimum is not None and w.minimum_rule is not None:
        weighting.paragraphs.append(
            f"National minimum: {w.national_minimum:g}% of the award criteria "
            f"({w.minimum_rule.title}; {w.minimum_rule.source})."
        )
    for cs, data in w.similar:
        note = f" ({data['note']})" if data.get("note") else ""
        weighting.bullets.append(
            f"{cs.organisation}: {data.get('social_value_percent')}%{note}. Source: {data.get('source')}"
        )
    if not weighting.paragraphs and not weighting.bullets:
        weighting.paragraphs.append("No similar buyer in the library published its weighting.")
    sections.append(weighting)
    if plan.rules:
        sections.append(
            Section(
                "Rules that apply",
                bullets=[f"{r.title}: {r.says} Source: {r.source}" for r in plan.rules],
            )
        )
    cases = Section("Case studies")
    for c in plan.case_studies:
        cs = c.case_study
        reasons = "; ".join(r.text for r in c.recommendation.reasons)
        cases.bullets.append(
            f"{cs.title} ({cs.evidence}). {reasons}. {base_url}/case-studies/{cs.slug}"
        )
    if not cases.bullets:
        cases.paragraphs.append("No case study in the library fits this procurement.")
    sections.append(cases)
    if plan.notes:
        sections.append(Section("Notes", bullets=list(plan.notes)))
    sections.append(
        Section(
            "About this plan",
            paragraphs=[
                "Written by the Social Value Knowledge Base from its knowledge map, outcome "
                "guidance and case studies (CC BY 4.0). Check each source before you rely on it; "
                "set targets that are relevant and proportionate to your contract.",
                f"Reproduce or change this plan: {base_url}{plan_query_path(plan.procurement.request)}",
            ],
        )
    )
    return title, sections


def plan_query_path(req: ProcurementRequest) -> str:
    """The /plan address that reproduces the plan for this procurement (shareable, bookmarkable)."""
    params: list[tuple[str, str]] = []
    if req.title:
        params.append(("title", req.title))
    if req.description:
        params.append(("description", req.description))
    if req.cpv:
        params.append(("cpv", " ".join(req.cpv)))
    if req.value_gbp is not None:
        params.append(("value", str(req.value_gbp)))
    if req.duration_months:
        params.append(("months", str(req.duration_months)))
    if req.region:
        params.append(("region", req.region))
    if req.buyer_type:
        params.append(("buyer", req.buyer_type))
    params.extend(("theme", t) for t in req.themes)
    return "/plan?" + urlencode(params)


def _md(text: str) -> str:
    """Text safe to render as Markdown: no raw HTML gets through a Markdown viewer."""
    return text.replace("<", "\\<").replace(">", "\\>")


def _md_escape_cell(text: str) -> str:
    return _md(text).replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: Plan, catalogue: Catalogue, base_url: str) -> str:
    title, sections = plan_outline(plan, catalogue, base_url)
    out = [f"# {_md(title)}", ""]
    for s in sections:
        out += ["#" * s.level + " " + _md(s.heading), ""]
        for p in s.paragraphs:
            out += [_md(p), ""]
        if s.table:
            header, *rows = s.table
            if not any(header):
                header = ("", "")
            out.append("| " + " | ".join(_md_escape_cell(h) for h in header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_md_escape_cell(c) for c in r) + " |" for r in rows]
            out.append("")
        if s.bullets:
            out += [f"- {_md(b)}" for b in s.bullets]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def plan_docx(plan: Plan, catalogue: Catalogue, base_url: str) -> bytes:
    """The plan as a .docx file (python-docx), with real headings and tables for editing."""
    from docx import Document
    from docx.shared import Pt

    title, sections = plan_outline(plan, catalogue, base_url)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10.5)
    doc.core_properties.title = title
    doc.core_properties.author = "Social Value Knowledge Base"
    doc.add_heading(title, level=0)
    for s in sections:
        doc.add_heading(s.heading, level=min(s.level - 1, 3))
        for p in s.paragraphs:
            doc.add_paragraph(p)
        if s.table:
            header, *rows = s.table
            has_header = any(header)
            table = doc.add_table(rows=0, cols=len(header))
            table.style = "Table Grid"
            for r in [header, *rows] if has_header else rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, r, strict=True):
                    cell.text = text
            if has_header:
                for cell in table.rows[0].cells:
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
        for b in s.bullets:
            doc.add_paragraph(b, style="List Bullet")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
