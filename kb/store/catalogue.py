"""Read the database into an in-memory catalogue for the web app.

The library is small (thousands of case studies at most), so pages read from memory and the
database is read once per published build rather than on every request.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.content.taxonomy import Taxonomy, parse_taxonomy
from kb.store.db import (
    CaseStudyOutcome,
    CaseStudyRecord,
    CaseStudyTag,
    CaseStudyTheme,
    LoadInfo,
    Outcome,
    OutcomeTheme,
    Source,
    Term,
    Theme,
)


class CatalogueUnavailable(RuntimeError):
    """The database is missing, empty or unreadable."""


@dataclass
class SourceView:
    title: str
    url: str
    type: str


@dataclass
class CaseStudyView:
    slug: str
    title: str
    organisation: str
    organisation_type: str
    regions: list[str]
    year_start: int
    year_end: int | None
    summary: str
    themes: list[str]
    outcomes: list[str]
    scope: str
    cpv: list[str]
    value_gbp: int | None
    stages: list[str]
    evidence: str
    sources: list[SourceView]
    last_reviewed: dt.date
    body: str
    path: str
    contract_evidence: dict[str, Any] | None = None
    added: dt.date | None = None

    @property
    def changed(self) -> dt.date:
        """When it was last added or reviewed: what "recent" means on the site and in the feed."""
        return max(self.added or self.last_reviewed, self.last_reviewed)

    @property
    def asks(self) -> list[dict[str, Any]]:
        return list((self.contract_evidence or {}).get("asks", []))

    @property
    def weighting(self) -> dict[str, Any] | None:
        return (self.contract_evidence or {}).get("weighting")

    @property
    def years_label(self) -> str:
        if self.year_end is None:
            return f"{self.year_start} onwards"
        if self.year_end == self.year_start:
            return str(self.year_start)
        return f"{self.year_start} to {self.year_end}"

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "organisation": self.organisation,
            "organisation_type": self.organisation_type,
            "region": self.regions,
            "years": {"start": self.year_start, "end": self.year_end},
            "summary": self.summary,
            "themes": self.themes,
            "outcomes": self.outcomes,
            "procurement": {
                "scope": self.scope,
                "cpv": self.cpv,
                "value_gbp": self.value_gbp,
                "stages": self.stages,
            },
            "evidence": self.evidence,
            "sources": [s.__dict__ for s in self.sources],
            "last_reviewed": self.last_reviewed.isoformat(),
            "added": self.added.isoformat() if self.added else None,
            "contract_evidence": self.contract_evidence,
        }


@dataclass
class Catalogue:
    taxonomy: Taxonomy
    case_studies: dict[str, CaseStudyView]
    content_hash: str
    loaded_at: dt.datetime
    _by_theme: dict[str, list[str]] = field(default_factory=dict)

    def get(self, slug: str) -> CaseStudyView | None:
        return self.case_studies.get(slug)

    def newest(self, n: int = 5) -> list[CaseStudyView]:
        return sorted(self.case_studies.values(), key=lambda c: (c.changed, c.slug), reverse=True)[
            :n
        ]

    def with_tag(self, kind: str, slug: str) -> list[CaseStudyView]:
        attr = {
            "theme": "themes",
            "outcome": "outcomes",
            "region": "regions",
            "cpv": "cpv",
            "stage": "stages",
        }.get(kind, kind)
        out = []
        for cs in self.case_studies.values():
            value = getattr(cs, attr)
            if (slug in value) if isinstance(value, list) else value == slug:
                out.append(cs)
        return sorted(out, key=lambda c: c.title)

    def theme_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self.taxonomy.themes.terms, 0)
        for cs in self.case_studies.values():
            for t in cs.themes:
                counts[t] = counts.get(t, 0) + 1
        return counts


def _taxonomy_from_db(session: Session) -> Taxonomy:
    themes = session.exec(select(Theme).order_by(col(Theme.position))).all()
    outcomes = session.exec(select(Outcome).order_by(col(Outcome.position))).all()
    links: dict[str, list[str]] = defaultdict(list)
    for link in session.exec(select(OutcomeTheme)).all():
        links[link.outcome_slug].append(link.theme_slug)
    theme_order = {t.slug: i for i, t in enumerate(themes)}
    data: dict[str, list[dict[str, Any]]] = {
        "themes": [
            {
                "slug": t.slug,
                "label": t.label,
                "description": t.description,
                "synonyms": t.synonyms,
                "frameworks": t.frameworks,
                "mapping_note": t.mapping_note,
            }
            for t in themes
        ],
        "outcomes": [
            {
                "slug": o.slug,
                "label": o.label,
                "description": o.description,
                "synonyms": o.synonyms,
                "themes": sorted(links[o.slug], key=lambda s: theme_order.get(s, 99)),
            }
            for o in outcomes
        ],
    }
    for term in session.exec(select(Term).order_by(col(Term.vocabulary), col(Term.position))).all():
        key = "code" if term.vocabulary == "cpv_divisions" else "slug"
        data.setdefault(term.vocabulary, []).append(
            {
                key: term.slug,
                "label": term.label,
                "description": term.description,
                "synonyms": term.synonyms,
                "itl1": term.itl1,
            }
        )
    return parse_taxonomy(data)


def load_catalogue(engine: Engine) -> Catalogue:
    """Everything the web app shows about case studies, read in one pass."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with Session(engine) as session:
            info = session.exec(select(LoadInfo)).first()
            if info is None:
                raise CatalogueUnavailable("the database is empty: run `kb build`")
            taxonomy = _taxonomy_from_db(session)
            tags: dict[tuple[str, str], list[str]] = defaultdict(list)
            for t in session.exec(select(CaseStudyTag).order_by(col(CaseStudyTag.position))).all():
                tags[(t.case_study_slug, t.kind)].append(t.slug)
            themes: dict[str, list[str]] = defaultdict(list)
            for th in session.exec(
                select(CaseStudyTheme).order_by(col(CaseStudyTheme.position))
            ).all():
                themes[th.case_study_slug].append(th.theme_slug)
            outcomes: dict[str, list[str]] = defaultdict(list)
            for o in session.exec(
                select(CaseStudyOutcome).order_by(col(CaseStudyOutcome.position))
            ).all():
                outcomes[o.case_study_slug].append(o.outcome_slug)
            sources: dict[str, list[SourceView]] = defaultdict(list)
            for s in session.exec(
                select(Source).order_by(col(Source.case_study_slug), col(Source.position))
            ):
                sources[s.case_study_slug].append(SourceView(s.title, s.url, s.type))
            studies = {}
            for r in session.exec(select(CaseStudyRecord)).all():
                studies[r.slug] = CaseStudyView(
                    slug=r.slug,
                    title=r.title,
                    organisation=r.organisation,
                    organisation_type=r.organisation_type,
                    regions=tags[(r.slug, "region")],
                    year_start=r.year_start,
                    year_end=r.year_end,
                    summary=r.summary,
                    themes=themes[r.slug],
                    outcomes=outcomes[r.slug],
                    scope=r.scope,
                    cpv=tags[(r.slug, "cpv")],
                    value_gbp=r.value_gbp,
                    stages=tags[(r.slug, "stage")],
                    evidence=r.evidence,
                    sources=sources[r.slug],
                    last_reviewed=r.last_reviewed,
                    body=r.body,
                    path=r.path,
                    contract_evidence=r.contract_evidence,
                    added=r.added,
                )
            return Catalogue(taxonomy, studies, info.content_hash, info.loaded_at)
    except SQLAlchemyError as exc:
        raise CatalogueUnavailable(
            f"the database cannot be read: {exc.__class__.__name__}"
        ) from exc
