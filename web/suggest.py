"""The "Suggest a case study" form: for contributors who do not use git.

The form has the same fields and guidance as `kb new`. It builds the Markdown file with
kb.services.scaffold (the same code as `kb new`), checks it with kb.content.validate.check_bytes (the same rules
as `kb validate` and CI), and shows errors next to the fields and in an error summary. When the
file passes, the page shows a preview, a button to download the file and a link that opens a
new-file pull request on the repository with the content filled in.

The questions are asked one part per page (``?all=1`` gives them on one page); each part is
checked on "Continue" and the whole file at the end. A filled-in template can be pasted or
uploaded instead (``/suggest/import``): its front matter is read into the same answers.

Nothing is stored on the server: the other parts' answers, and the download form's, travel as
hidden fields. No JavaScript is needed; with it, app.js keeps a draft in the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kb.content.frontmatter import FrontMatterError
from kb.content.render import render_markdown
from kb.content.rules import MAX_FILE_BYTES
from kb.content.taxonomy import Taxonomy, load_taxonomy
from kb.services.scaffold import (
    SECTION_GUIDANCE,
)
from kb.settings import Settings
from kb.store.catalogue import Catalogue
from web.state import Snapshot
from web.suggest_form import (
    LIMITS,
    PARTS,
    SCOPE_CHOICES,
    SECTION_FIELDS,
    SOURCE_ROWS,
    FormResult,
    check_form,
    empty_values,
    hidden_fields,
    items_from_markdown,
    new_file_url,
    part_of,
    read_values,
)
from web.templating import render

router = APIRouter(include_in_schema=False)


def _existing(catalogue: Catalogue | None) -> dict[str, str]:
    """Slugs and lower-cased titles of the loaded case studies."""
    out: dict[str, str] = {}
    for cs in catalogue.case_studies.values() if catalogue else []:
        out[cs.slug.lower()] = cs.slug
        out.setdefault(cs.title.strip().lower(), cs.slug)
    return out


def _similar(snap: Snapshot, settings: Settings, result: FormResult) -> list[str]:
    """Warnings for loaded case studies whose summary is very like this one (best effort).

    The library's summaries are embedded once and cached like any build artefact; the
    visitor's summary is embedded in memory and never stored.
    """
    if snap.catalogue is None or snap.engine is None or result.draft is None:
        return []
    try:
        from kb.services.duplicates import THRESHOLD, Summary, embed_summaries, similar_pairs

        others = [
            Summary(f"{cs.slug}.md", cs.title, " ".join(cs.summary.split()))
            for cs in snap.catalogue.case_studies.values()
        ]
        if not others:
            return []
        mine = Summary(f"{result.slug}.md", result.draft.title, result.draft.summary)
        library = embed_summaries([o.summary for o in others], settings, snap.engine.embedder)
        vecs = np.vstack([library, snap.engine.embed([mine.summary])])
        pairs = similar_pairs([mine], others, vecs, THRESHOLD)
    except Exception:  # the model is unavailable: skip the check
        return []
    return [
        f"The summary is very like “{other.title}” ({Path(other.path).stem}, similarity "
        f"{sim:.2f}). If it is the same work, suggest changes to that case study instead; if "
        "not, say in the summary what makes this one different."
        for _, other, sim in pairs[:3]
    ]


def _taxonomy(snap: Snapshot, settings: Settings) -> Taxonomy:
    """The served library's taxonomy; read from the content folder if no library is loaded."""
    if snap.catalogue is not None:
        return snap.catalogue.taxonomy
    return load_taxonomy(Path(settings.taxonomy_path))


def _page(
    request: Request,
    result: FormResult | None,
    *,
    submitted: bool,
    status: int = 200,
    import_error: str = "",
    part: int = 0,
    fresh: bool = False,
):
    """The form (all of it, or one part with the other answers carried as hidden fields), or,
    once the answers pass, the check-your-answers page with a preview."""
    settings = request.app.state.kb.settings
    taxonomy = _taxonomy(request.app.state.kb.snapshot(), settings)
    values = result.values if result else empty_values()
    context: dict[str, Any] = {
        "taxonomy": taxonomy,
        "values": values,
        "errors": (result.errors if result and submitted else [])
        + ([("markdown", import_error)] if import_error else []),
        "error_list": [
            {"text": msg, "href": f"#{fid}"} for fid, msg in (result.errors if result else [])
        ]
        + ([{"text": import_error, "href": "#markdown"}] if import_error else []),
        "import_error": import_error,
        "maintainer_email": settings.maintainer_email,
        "max_file_kb": MAX_FILE_BYTES // 1024,
        "err": result.error_map if result and submitted else {},
        "warnings": result.warnings if result else [],
        "submitted": submitted,
        "fresh": fresh,
        "part": part,
        "parts": PARTS,
        "carried": [(k, v) for k, v in hidden_fields(values) if part_of(k) != part] if part else [],
        "ok": bool(result and submitted and not result.errors),
        "scope_choices": SCOPE_CHOICES,
        "source_rows": SOURCE_ROWS,
        "limits": LIMITS,
        "sections": SECTION_FIELDS,
        "org_type_items": [
            {"value": "", "text": "Choose a type"},
            *({"value": t.slug, "text": t.label} for t in taxonomy.organisation_types),
        ],
        "region_items": [{"value": r.slug, "text": r.label} for r in taxonomy.regions],
        "theme_items": [
            {"value": t.slug, "text": t.label, "hint": {"text": t.description}}
            for t in taxonomy.themes
        ],
        "scope_items": [
            {"value": slug, "text": text, "hint": {"text": hint}}
            for slug, text, hint in SCOPE_CHOICES
        ],
        "stage_items": [
            {"value": t.slug, "text": t.label, "hint": {"text": t.description}}
            for t in taxonomy.procurement_stages
        ],
        "evidence_items": [
            {"value": t.slug, "text": t.label, "hint": {"text": t.description}}
            for t in taxonomy.evidence_levels
        ],
        "section_hints": {
            name: text[:1].upper() + text[1:] for name, text in SECTION_GUIDANCE.items()
        },
        "outcome_groups": [
            (theme, [o for o in taxonomy.outcomes if o.themes and o.themes[0] == theme.slug])
            for theme in taxonomy.themes
        ],
    }
    if result and submitted and not result.errors:
        url, cut = new_file_url(
            settings.repository_url, settings.repository_branch, result.slug, result.markdown
        )
        context.update(
            {
                "slug": result.slug,
                "markdown": result.markdown,
                "body_html": render_markdown(
                    "\n\n".join(
                        f"## {name}\n\n{result.values[key]}" for key, name in SECTION_FIELDS.items()
                    )
                ),
                "draft": result.draft,
                "hidden": hidden_fields(result.values),
                "pr_url": url,
                "pr_cut": cut,
                "repository_url": settings.repository_url,
            }
        )
    return render(request, "suggest.html", context, status=status)


async def _read_form(request: Request) -> list[tuple[str, str]]:
    form = await request.form(max_files=0, max_fields=300, max_part_size=64 * 1024)
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def _process(request: Request, items: list[tuple[str, str]]) -> FormResult:
    settings = request.app.state.kb.settings
    snap = request.app.state.kb.snapshot()
    taxonomy = _taxonomy(snap, settings)
    values, length_errors = read_values(items)
    result = check_form(values, taxonomy, existing=_existing(snap.catalogue))
    result.errors = length_errors + [
        e for e in result.errors if e[0] not in {f for f, _ in length_errors}
    ]
    return result


@router.get("/suggest")
def suggest_form(request: Request) -> Response:
    """Part 1 of the questions; ``?all=1`` gives every question on one page."""
    one_page = bool(request.query_params.get("all"))
    return _page(request, None, submitted=False, part=0 if one_page else 1, fresh=True)


def _part(items: list[tuple[str, str]]) -> int:
    raw = next((v for k, v in items if k == "part"), "")
    return int(raw) if raw in {str(n) for n in range(1, len(PARTS) + 1)} else 0


@router.post("/suggest")
async def suggest_check(request: Request) -> Response:
    items = await _read_form(request)
    result = await run_in_threadpool(_process, request, items)
    part = _part(items)
    if part and ("go", "back") in items:
        return _page(request, result, submitted=False, part=max(1, part - 1))
    if part and part < len(PARTS):
        # Only this part's answers are checked now; the whole case study is checked at the end.
        result.errors = [e for e in result.errors if part_of(e[0]) == part]
        if result.errors:
            return _page(request, result, submitted=True, status=400, part=part)
        return _page(request, result, submitted=False, part=part + 1)
    if not result.errors:
        kb = request.app.state.kb
        result.warnings += await run_in_threadpool(_similar, kb.snapshot(), kb.settings, result)
    return _page(request, result, submitted=True, status=400 if result.errors else 200)


@router.post("/suggest/download")
async def suggest_download(request: Request) -> Response:
    items = await _read_form(request)
    result = await run_in_threadpool(_process, request, items)
    if result.errors:
        return _page(request, result, submitted=True, status=400)
    return Response(
        result.markdown.encode("utf-8"),
        media_type="text/markdown; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{result.slug}.md"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/suggest/import")
async def suggest_import(request: Request) -> Response:
    """A case study file, pasted or uploaded, read into the form and checked like the form.

    The front matter is parsed (as `kb validate` does), so a filled-in template gives the same
    messages on the same fields as typed answers; nothing is stored.
    """
    form = await request.form(max_files=1, max_fields=5, max_part_size=MAX_FILE_BYTES + 1024)
    text = form.get("markdown")
    upload = form.get("markdown_file")
    raw = text if isinstance(text, str) else ""
    if not raw.strip() and upload is not None and not isinstance(upload, str):
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return _page(
                request,
                None,
                submitted=False,
                status=400,
                import_error=(
                    f"The file is larger than {MAX_FILE_BYTES // 1024} KB: a case study must be smaller"
                ),
            )
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError:
            return _page(
                request,
                None,
                submitted=False,
                status=400,
                import_error=(
                    "The file is not text in UTF-8: save it as plain text (Markdown) and upload it again"
                ),
            )
    if not raw.strip():
        return _page(
            request,
            None,
            submitted=False,
            status=400,
            import_error=("Paste the filled-in case study, or choose its file"),
        )
    if len(raw.encode("utf-8")) > MAX_FILE_BYTES:
        return _page(
            request,
            None,
            submitted=False,
            status=400,
            import_error=(
                f"The case study is larger than {MAX_FILE_BYTES // 1024} KB: a case study must be smaller"
            ),
        )
    try:
        items, notes = items_from_markdown(raw)
    except FrontMatterError as exc:
        return _page(
            request,
            None,
            submitted=False,
            status=400,
            import_error=(f"The file could not be read (line {exc.line}): {exc.message}"),
        )
    result = await run_in_threadpool(_process, request, items)
    result.warnings = notes + result.warnings
    if not result.errors:
        kb = request.app.state.kb
        result.warnings += await run_in_threadpool(_similar, kb.snapshot(), kb.settings, result)
    return _page(request, result, submitted=True, status=400 if result.errors else 200)
