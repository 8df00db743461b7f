"""Turn validated case studies into search documents, and run a whole build.

A build validates the content, loads it into the database and writes a new search index, all
stamped with the same content hash so that a mismatch between them can be detected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from search.build import Manifest

from kb.content.library import Library, load_library
from kb.content.model import CaseStudy
from kb.content.taxonomy import Taxonomy
from kb.settings import Settings
from kb.store.db import LoadInfo, load_info, make_engine
from kb.store.db import load_library as load_into_db


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
            # "Most recent" = latest of when it was added and when it was last reviewed.
            "date": max(m.added or m.last_reviewed, m.last_reviewed).isoformat(),
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
    manifest: Manifest


def build(settings: Settings, *, progress: bool = False) -> BuildResult:
    """Validate, build the index, load the database, then publish. Raises ContentInvalid.

    The order makes the database the commit point. A failure or kill before the database
    commits leaves the previous index and database serving together; a kill after it leaves a
    complete, unpublished build of the new content, which `reconcile` publishes at the next start
    or build. A running app keeps serving its previous build as a whole until the switch.
    """
    from search.build import build_index, publish_build

    reconcile(settings)
    library = load_library(settings.content_dir)
    documents = [to_document(cs, library.taxonomy) for cs in library.case_studies]
    manifest = build_index(
        documents,
        settings.index_dir,
        model_name=settings.model,
        content_hash=library.content_hash,
        progress=progress,
        vocabulary=vocabulary(library.taxonomy),
        publish=False,
        hnsw_min_passages=settings.hnsw_min_passages,
    )
    if settings.encoder == "onnx":
        from search.onnx_encoder import export_onnx

        export_onnx(settings.model, settings.data_dir)  # once per model: the server's encoder
    _embed_summaries(settings, library)
    info = load_into_db(make_engine(settings.resolved_database_url), library)
    _pause("loaded")
    publish_build(settings.index_dir, manifest.build_id)
    return BuildResult(library, info, manifest)


def _embed_summaries(settings: Settings, library: Library) -> None:
    """Cache the summaries' vectors for the suggestion form's near-duplicate check now, in
    batches, so a server's start-up does not embed them one by one (seconds on a new data
    folder). Best effort: without them the server embeds them itself."""
    import contextlib

    from kb.services.duplicates import embed_summaries

    with contextlib.suppress(Exception):
        embed_summaries(
            [" ".join(cs.meta.summary.split()) for cs in library.case_studies], settings
        )


def _pause(stage: str) -> None:
    """Test hook (the kill tests): KB_TEST_BUILD_PAUSE=stage:seconds sleeps at that stage."""
    import os
    import sys
    import time

    name, _, secs = os.environ.get("KB_TEST_BUILD_PAUSE", "").partition(":")
    if name == stage:
        print(f"[kb.services.indexing] pausing at {stage}", file=sys.stderr, flush=True)
        time.sleep(float(secs or 30))


def reconcile(settings: Settings) -> str | None:
    """Finish a build that was interrupted after its database load: publish the index build that
    matches the database. Returns what it did, or None when index and database already agree."""
    import json

    from search.build import find_build, publish_build
    from search.errors import SearchError

    try:
        info = load_info(make_engine(settings.resolved_database_url))
    except Exception:  # no database yet, or unreadable: nothing to reconcile against
        return None
    if info is None:
        return None
    try:
        current = json.loads((Path(settings.index_dir) / "manifest.json").read_text("utf-8"))
        if current.get("content_hash") == info.content_hash:
            return None
    except (OSError, ValueError):
        pass
    build_id = find_build(settings.index_dir, info.content_hash)
    if build_id is None:
        return None
    try:
        publish_build(settings.index_dir, build_id)
    except SearchError:
        return None  # another process is building or publishing
    return (
        f"published build {build_id}, which matches the database (an earlier build was interrupted)"
    )


def index_exists(settings: Settings) -> bool:
    return (Path(settings.index_dir) / "manifest.json").exists()
