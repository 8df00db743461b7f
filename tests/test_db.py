"""Loading content into the database: idempotent, removals propagate, invalid content is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from kb.cli.main import app
from kb.content.library import ContentInvalid, load_library
from kb.store.db import (
    CaseStudyRecord,
    CaseStudyTag,
    CaseStudyTheme,
    Outcome,
    Source,
    Term,
    Theme,
    load_info,
    make_engine,
)
from kb.store.db import load_library as load_into_db


def _counts(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            t.__name__: s.exec(select(func.count()).select_from(t)).one()
            for t in (CaseStudyRecord, CaseStudyTheme, CaseStudyTag, Source, Theme, Outcome, Term)
        }


def _dump(engine) -> list[tuple]:
    with Session(engine) as s:
        rows = [tuple(r.model_dump().items()) for r in s.exec(select(CaseStudyRecord)).all()]
        rows += [
            tuple(sorted(r.model_dump(exclude={"id"}).items()))
            for r in s.exec(select(Source)).all()
        ]
        return sorted(map(str, rows))


def s_exists(engine, slug: str) -> bool:
    with Session(engine) as s:
        return s.get(CaseStudyRecord, slug) is not None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, settings) -> str:
    """Every database test runs on SQLite and on a real PostgreSQL server (started by `make test`)."""
    if request.param == "sqlite":
        return settings.resolved_database_url
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(db_url):
    return make_engine(db_url)


def test_load_is_idempotent(settings, engine):
    library = load_library(settings.content_dir)
    load_into_db(engine, library)
    first, first_dump = _counts(engine), _dump(engine)
    load_into_db(engine, library)
    assert _counts(engine) == first and _dump(engine) == first_dump
    assert first["Theme"] == 8 and first["CaseStudyRecord"] == len(library.case_studies) >= 1
    assert load_info(engine).content_hash == library.content_hash


def test_taxonomy_terms_and_links_are_stored(settings, engine):
    load_into_db(engine, load_library(settings.content_dir))
    with Session(engine) as s:
        cs = s.get(CaseStudyRecord, "example-council-local-labour")
        assert (
            cs.value_gbp == 12_000_000 and cs.year_start == 2019 and cs.evidence == "self-reported"
        )
        themes = s.exec(
            select(CaseStudyTheme.theme_slug)
            .where(CaseStudyTheme.case_study_slug == cs.slug)
            .order_by(CaseStudyTheme.position)
        ).all()
        assert themes == ["employment", "regeneration"]
        cpv = s.exec(
            select(CaseStudyTag.slug).where(
                CaseStudyTag.kind == "cpv", CaseStudyTag.case_study_slug == cs.slug
            )
        ).all()
        assert sorted(cpv) == ["45", "50"]
        assert s.get(Term, ("cpv_divisions", "45")).label == "Construction work"
        assert s.get(Theme, "environment").frameworks["toms_themes"] == ["Environment"]


def test_removed_file_disappears(settings, engine, content_dir):
    extra = content_dir / "casestudies" / "second-example.md"
    src = (content_dir / "casestudies" / "example-council-local-labour.md").read_text()
    extra.write_text(src.replace("local labour clauses in a housing", "a second synthetic"))
    load_into_db(engine, load_library(content_dir))
    n = _counts(engine)["CaseStudyRecord"]
    assert s_exists(engine, "second-example")
    extra.unlink()
    load_into_db(engine, load_library(content_dir))
    assert _counts(engine)["CaseStudyRecord"] == n - 1
    with Session(engine) as s:
        assert s.get(CaseStudyRecord, "second-example") is None
        assert all(src.case_study_slug != "second-example" for src in s.exec(select(Source)).all())


def test_invalid_content_leaves_database_unchanged(db_url, engine, content_dir):
    load_into_db(engine, load_library(content_dir))
    before = _dump(engine)
    broken = Path(__file__).parent / "fixtures" / "broken" / "unknown-terms.md"
    (content_dir / "casestudies" / "unknown-terms.md").write_bytes(broken.read_bytes())
    with pytest.raises(ContentInvalid, match="unknown theme"):
        load_library(content_dir)
    result = CliRunner().invoke(
        app,
        ["load"],
        env={"KB_CONTENT_DIR": str(content_dir), "KB_DATABASE_URL": db_url},
    )
    assert result.exit_code == 1
    assert "database was left unchanged" in result.output
    assert _dump(engine) == before


def test_cli_load_uses_database_url(content_dir, db_url):
    url = db_url
    result = CliRunner().invoke(
        app, ["load"], env={"KB_CONTENT_DIR": str(content_dir), "KB_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    assert load_info(make_engine(url)).case_studies == len(
        list((content_dir / "casestudies").glob("*.md"))
    )


def test_an_older_schema_is_replaced(settings, engine):
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE term (vocabulary VARCHAR(40), slug VARCHAR(80), label VARCHAR)")
        )
    load_into_db(engine, load_library(settings.content_dir))
    assert _counts(engine)["Term"] > 0
