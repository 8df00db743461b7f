"""Load the whole content folder: taxonomy plus validated case studies."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from kb.content.model import CaseStudy
from kb.content.taxonomy import Taxonomy, load_taxonomy
from kb.content.validate import Report, check_files, expand_paths, format_text


class ContentInvalid(Exception):
    """The content has errors; nothing should be published from it."""

    def __init__(self, report: Report):
        super().__init__(format_text(report))
        self.report = report


@dataclass
class Library:
    taxonomy: Taxonomy
    case_studies: list[CaseStudy]
    report: Report
    content_hash: str

    def get(self, slug: str) -> CaseStudy | None:
        return next((c for c in self.case_studies if c.slug == slug), None)


def content_hash(taxonomy_path: Path, case_studies: list[CaseStudy]) -> str:
    """One hash for the taxonomy and every case study, so index and database can be matched."""
    h = hashlib.sha256(taxonomy_path.read_bytes())
    for cs in sorted(case_studies, key=lambda c: c.slug):
        h.update(f"\n{cs.slug}:{cs.content_hash}".encode())
    return h.hexdigest()


def casestudy_files(content_dir: Path) -> list[Path]:
    return (
        expand_paths([content_dir / "casestudies"])
        if (content_dir / "casestudies").is_dir()
        else []
    )


def load_library(
    content_dir: Path, *, strict: bool = True, today: dt.date | None = None
) -> Library:
    """Validate and load everything under `content_dir`.

    With `strict`, any error raises ContentInvalid: a half-valid library is never published.
    """
    taxonomy: Taxonomy = load_taxonomy(content_dir / "taxonomy.yaml")
    report = check_files(casestudy_files(content_dir), taxonomy, today=today)
    if strict and not report.ok:
        raise ContentInvalid(report)
    studies = sorted(report.case_studies, key=lambda c: c.slug)
    return Library(taxonomy, studies, report, content_hash(content_dir / "taxonomy.yaml", studies))
