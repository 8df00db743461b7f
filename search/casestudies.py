"""A ``kb``-free loader of ``content/casestudies/*.md`` as search Documents.

Used by the evaluation on our own judged set (``content/eval``) and the benchmarks, so that the
corpus is read from the shipped case studies at evaluation time and never goes stale. It mirrors
``kb.indexing.to_document`` (same metadata keys and ``extra_text``), without validating: ``kb build``
is what validates content.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .documents import Document

_FRONT_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)
_H2_RE = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v]
    return [str(v)]


def _labels(taxonomy: dict[str, Any] | None, key: str) -> dict[str, str]:
    return {str(e["slug"]): str(e.get("label", e["slug"])) for e in (taxonomy or {}).get(key, [])}


def parse_casestudy(path: Path, taxonomy: dict[str, Any] | None = None) -> Document:
    text = Path(path).read_text("utf-8")
    m = _FRONT_RE.match(text)
    if not m:
        raise ValueError(f"{path}: no front matter")
    meta = yaml.safe_load(m.group(1)) or {}
    body = m.group(2)
    sections: list[tuple[str, str]] = []
    heads = list(_H2_RE.finditer(body))
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        sections.append((h.group(1).strip(), body[h.end() : end].strip()))
    years = meta.get("years") or {}
    proc = meta.get("procurement") or {}
    themes, outcomes = _as_list(meta.get("themes")), _as_list(meta.get("outcomes"))
    tl, ol = _labels(taxonomy, "themes"), _labels(taxonomy, "outcomes")
    labels = [tl.get(t, t) for t in themes] + [ol.get(o, o) for o in outcomes]
    organisation = str(meta.get("organisation") or "")
    reviewed = meta.get("last_reviewed")
    return Document(
        id=Path(path).stem,
        title=str(meta.get("title") or ""),
        summary=str(meta.get("summary") or ""),
        sections=sections,
        metadata={
            "theme": themes,
            "outcome": outcomes,
            "region": _as_list(meta.get("region")),
            "organisation_type": _as_list(meta.get("organisation_type")),
            "cpv": _as_list(proc.get("cpv")),
            "stage": _as_list(proc.get("stages")),
            "evidence": _as_list(meta.get("evidence")),
            "year_start": years.get("start"),
            "year_end": years.get("end"),
            "date": str(reviewed) if reviewed else None,
            "organisation": organisation,
        },
        extra_text=f"{organisation}. " + ". ".join(labels),
    )


def load_casestudies(folder: Path, taxonomy_path: Path | None = None) -> list[Document]:
    """Every ``*.md`` in ``folder`` (sorted by file name) as a Document."""
    folder = Path(folder)
    if taxonomy_path is None and (folder.parent / "taxonomy.yaml").exists():
        taxonomy_path = folder.parent / "taxonomy.yaml"
    taxonomy = yaml.safe_load(Path(taxonomy_path).read_text("utf-8")) if taxonomy_path else None
    return [
        parse_casestudy(p, taxonomy)
        for p in sorted(folder.glob("*.md"))
        if not p.name.startswith(("_", ".")) and p.name.upper() != "README.MD"
    ]
