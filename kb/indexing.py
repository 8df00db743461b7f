"""Turn validated case studies into search documents, and run a whole build.

A build validates the content, loads it into the database and writes a new search index, all
stamped with the same content hash so that a mismatch between them can be detected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.content import Library, load_library
from kb.db import LoadInfo, make_engine
from kb.db import load_library as load_into_db
from kb.models import CaseStudy
from kb.settings import Settings
from kb.taxonomy import Taxonomy


def to_document(cs: CaseStudy, taxonomy: Taxonomy):
    """A search Document with the facets used for filters and what result lists display."""
    from search.documents import Document

    m = cs.meta
    labels = [taxonomy.themes.label(t) for t in m.themes] + [
        taxonomy.outcomes.label(o) for o in m.outcomes
    ]
    return Document(
        id=cs.slug,
        title=m.title,
        summary=m.summary,
        sections=[(name, text) for name, text in cs.sections.items()],
        metadata={
            "theme": list(m.themes),
            "outcome": list(m.outcomes),
            "region": m.regions,
            "organisation_type": [m.organisation_type],
            "cpv": list(m.procurement.cpv),
            "stage": list(m.procurement.stages),
            "evidence": [m.evidence],
            "year_start": m.years.start,
            "year_end": m.years.end,
            "date": m.last_reviewed.isoformat(),
            "organisation": m.organisation,
            "scope": m.procurement.scope,
            "value_gbp": m.procurement.value_gbp,
        },
        extra_text=f"{m.organisation}. " + ". ".join(labels),
    )


def vocabulary(taxonomy: Taxonomy) -> dict[str, dict[str, list[str]]]:
    """Facet -> slug -> [label, synonyms...], which the engine uses to recognise tags in queries."""
    from search.taxonomy import vocabulary_from_taxonomy

    return vocabulary_from_taxonomy(taxonomy.to_dict())


def library_documents(content_dir: Path) -> tuple[list, dict[str, dict[str, list[str]]]]:
    """The validated case studies of a content folder as search documents, with the vocabulary."""
    library = load_library(content_dir)
    docs = [to_document(cs, library.taxonomy) for cs in library.case_studies]
    return docs, vocabulary(library.taxonomy)


def eval_corpus(eval_dir: Path) -> tuple[list, dict[str, dict[str, list[str]]]] | None:
    """For a judged set whose corpus.yaml names a content folder: its documents; else None."""
    import yaml

    spec_path = Path(eval_dir) / "corpus.yaml"
    if not spec_path.exists():
        return None
    spec = yaml.safe_load(spec_path.read_text("utf-8")) or {}
    casestudies = (Path(eval_dir) / spec.get("casestudies", "../casestudies")).resolve()
    return library_documents(casestudies.parent)


@dataclass
class BuildResult:
    library: Library
    load: LoadInfo
    manifest: object  # search.build.Manifest


def build(settings: Settings, *, progress: bool = False) -> BuildResult:
    """Validate, load the database and build the index. Raises ContentInvalid on bad content.

    The index is written to a temporary folder and switched in atomically, so a failure at any
    point leaves the previous index serving.
    """
    from search.build import build_index

    library = load_library(settings.content_dir)
    documents = [to_document(cs, library.taxonomy) for cs in library.case_studies]
    manifest = build_index(
        documents,
        settings.index_dir,
        model_name=settings.model,
        content_hash=library.content_hash,
        progress=progress,
        vocabulary=vocabulary(library.taxonomy),
    )
    info = load_into_db(make_engine(settings.resolved_database_url), library)
    return BuildResult(library, info, manifest)


def index_exists(settings: Settings) -> bool:
    return (Path(settings.index_dir) / "manifest.json").exists()
