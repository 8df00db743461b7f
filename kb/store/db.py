"""The SQLModel store: case studies, taxonomy terms, their links and sources.

`load_library` replaces the whole content in one transaction, so loading is idempotent, a removed
file disappears, and a failure leaves the previous database untouched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, delete
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool, StaticPool
from sqlmodel import Field, Session, SQLModel, create_engine, select

from kb.content.library import Library

# Vocabularies stored as generic terms (themes and outcomes have their own tables).
TERM_VOCABULARIES = (
    "organisation_types",
    "regions",
    "cpv_divisions",
    "procurement_stages",
    "evidence_levels",
)


# Case-study fields stored as tags: tag kind -> vocabulary
class Theme(SQLModel, table=True):
    slug: str = Field(primary_key=True, max_length=80)
    label: str
    description: str = Field(sa_column=Column(Text, nullable=False))
    synonyms: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    frameworks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    mapping_note: str = ""
    position: int = 0


class Outcome(SQLModel, table=True):
    slug: str = Field(primary_key=True, max_length=80)
    label: str
    description: str = Field(sa_column=Column(Text, nullable=False))
    synonyms: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    position: int = 0


class OutcomeTheme(SQLModel, table=True):
    __tablename__ = "outcome_theme"
    outcome_slug: str = Field(foreign_key="outcome.slug", primary_key=True)
    theme_slug: str = Field(foreign_key="theme.slug", primary_key=True)


class Term(SQLModel, table=True):
    """Other controlled terms: organisation types, regions, CPV divisions, stages, evidence levels."""

    vocabulary: str = Field(primary_key=True, max_length=40)
    slug: str = Field(primary_key=True, max_length=80)
    label: str
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    synonyms: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    itl1: str | None = Field(default=None, max_length=8)  # regions: the ITL1 code
    position: int = 0


class CaseStudyRecord(SQLModel, table=True):
    __tablename__ = "case_study"
    slug: str = Field(primary_key=True, max_length=80)
    title: str
    organisation: str
    organisation_type: str = Field(index=True)
    year_start: int = Field(index=True)
    year_end: int | None = None
    summary: str = Field(sa_column=Column(Text, nullable=False))
    evidence: str = Field(index=True)
    scope: str
    value_gbp: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_reviewed: dt.date = Field(index=True)
    added: dt.date | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    path: str
    content_hash: str
    #: the optional structured contract evidence, as validated (see docs/case-study-format.md)
    contract_evidence: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class CaseStudyTheme(SQLModel, table=True):
    __tablename__ = "case_study_theme"
    case_study_slug: str = Field(foreign_key="case_study.slug", primary_key=True)
    theme_slug: str = Field(foreign_key="theme.slug", primary_key=True, index=True)
    position: int = 0


class CaseStudyOutcome(SQLModel, table=True):
    __tablename__ = "case_study_outcome"
    case_study_slug: str = Field(foreign_key="case_study.slug", primary_key=True)
    outcome_slug: str = Field(foreign_key="outcome.slug", primary_key=True, index=True)
    position: int = 0


class CaseStudyTag(SQLModel, table=True):
    """Regions, CPV divisions and procurement stages of a case study."""

    __tablename__ = "case_study_tag"
    case_study_slug: str = Field(foreign_key="case_study.slug", primary_key=True)
    kind: str = Field(primary_key=True, max_length=20)
    slug: str = Field(primary_key=True, max_length=80, index=True)
    position: int = 0


class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_study_slug: str = Field(foreign_key="case_study.slug", index=True)
    position: int
    title: str
    url: str = Field(max_length=2000)
    type: str


class LoadInfo(SQLModel, table=True):
    __tablename__ = "load_info"
    id: int = Field(default=1, primary_key=True)
    content_hash: str
    case_studies: int
    loaded_at: dt.datetime


# Children before parents, for deletes.
_TABLES = (
    Source,
    CaseStudyTag,
    CaseStudyOutcome,
    CaseStudyTheme,
    CaseStudyRecord,
    OutcomeTheme,
    Outcome,
    Theme,
    Term,
    LoadInfo,
)


def make_engine(url: str, *, busy_timeout: float = 15.0, pooled: bool = True) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets a folder and thread-safe settings.

    The web app reads with ``pooled=False`` and a short ``busy_timeout``: every read opens the
    file afresh (so a database replaced on disk is seen at once) and a locked database costs a
    request a second at most, not fifteen.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            args = {"check_same_thread": False, "timeout": busy_timeout}
            if not pooled:
                return create_engine(url, connect_args=args, poolclass=NullPool)
            return create_engine(url, connect_args=args)
        return create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    return create_engine(url, pool_pre_ping=True)


def _schema_is_current(conn) -> bool:
    """Whether every table exists with every column this version expects."""
    from sqlalchemy import inspect

    insp = inspect(conn)
    for table in SQLModel.metadata.sorted_tables:
        if not insp.has_table(table.name):
            return False
        have = {c["name"] for c in insp.get_columns(table.name)}
        if not {c.name for c in table.columns} <= have:
            return False
    return True


def _rows(library: Library) -> list[SQLModel]:
    tax = library.taxonomy
    rows: list[SQLModel] = []
    for i, t in enumerate(tax.themes):
        rows.append(
            Theme(
                slug=t.slug,
                label=t.label,
                description=t.description,
                synonyms=list(t.synonyms),
                frameworks=t.frameworks,
                mapping_note=t.mapping_note,
                position=i,
            )
        )
    for i, o in enumerate(tax.outcomes):
        rows.append(
            Outcome(
                slug=o.slug,
                label=o.label,
                description=o.description,
                synonyms=list(o.synonyms),
                position=i,
            )
        )
        rows.extend(OutcomeTheme(outcome_slug=o.slug, theme_slug=th) for th in o.themes)
    for vocab_name in TERM_VOCABULARIES:
        for i, t in enumerate(tax.vocab(vocab_name)):
            rows.append(
                Term(
                    vocabulary=vocab_name,
                    slug=t.slug,
                    label=t.label,
                    description=t.description,
                    synonyms=list(t.synonyms),
                    itl1=t.itl1,
                    position=i,
                )
            )
    for cs in library.case_studies:
        m = cs.meta
        rows.append(
            CaseStudyRecord(
                slug=cs.slug,
                title=m.title,
                organisation=m.organisation,
                organisation_type=m.organisation_type,
                year_start=m.years.start,
                year_end=m.years.end,
                summary=m.summary,
                evidence=m.evidence,
                scope=m.procurement.scope,
                value_gbp=m.procurement.value_gbp,
                last_reviewed=m.last_reviewed,
                added=m.added,
                body=cs.body,
                path=cs.path,
                content_hash=cs.content_hash,
                contract_evidence=m.contract_evidence.model_dump(exclude_none=True)
                if m.contract_evidence
                else None,
            )
        )
        rows.extend(
            CaseStudyTheme(case_study_slug=cs.slug, theme_slug=s, position=i)
            for i, s in enumerate(m.themes)
        )
        rows.extend(
            CaseStudyOutcome(case_study_slug=cs.slug, outcome_slug=s, position=i)
            for i, s in enumerate(m.outcomes)
        )
        tags = {"region": m.regions, "cpv": m.procurement.cpv, "stage": m.procurement.stages}
        for kind, values in tags.items():
            rows.extend(
                CaseStudyTag(case_study_slug=cs.slug, kind=kind, slug=v, position=i)
                for i, v in enumerate(values)
            )
        rows.extend(
            Source(case_study_slug=cs.slug, position=i, title=s.title, url=s.url, type=s.type)
            for i, s in enumerate(m.sources)
        )
    return rows


def load_library(engine: Engine, library: Library) -> LoadInfo:
    """Replace the database content with the library's, in one transaction.

    The database holds nothing but what the content gives it, so a schema from an older version
    is dropped and recreated in the same transaction instead of migrated.
    """
    rows = _rows(library)
    with engine.connect() as conn, conn.begin():
        if not _schema_is_current(conn):
            SQLModel.metadata.drop_all(conn)
        SQLModel.metadata.create_all(conn)
        session = Session(bind=conn, expire_on_commit=False)
        for table in _TABLES:
            session.execute(delete(table))
        session.flush()
        # One table at a time, parents first, so that databases enforcing foreign keys (PostgreSQL)
        # accept the inserts: without relationships the unit of work does not order them.
        for table in reversed(_TABLES):
            session.add_all([r for r in rows if type(r) is table])
            session.flush()
        info = LoadInfo(
            content_hash=library.content_hash,
            case_studies=len(library.case_studies),
            loaded_at=dt.datetime.now(dt.UTC),
        )
        session.add(info)
        session.flush()
        session.close()
    return info


def load_info(engine: Engine) -> LoadInfo | None:
    """What was last loaded, or None if the database is empty or has no schema yet."""
    from sqlalchemy import inspect

    if not inspect(engine).has_table("load_info"):
        return None
    with Session(engine) as session:
        return session.exec(select(LoadInfo)).first()
