"""The kb command end to end on the fixture library: build, search and eval."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kb.cli.main import app

runner = CliRunner()


def _env(settings) -> dict[str, str]:
    return {"KB_CONTENT_DIR": str(settings.content_dir), "KB_DATA_DIR": str(settings.data_dir)}


def test_build_search_and_refuse_invalid_content(settings, content_dir):
    built = runner.invoke(app, ["build", "--quiet"], env=_env(settings))
    assert built.exit_code == 0, built.output
    assert "8 case studies" in built.output
    found = runner.invoke(
        app, ["search", "Real Living Wage", "--json", "--limit", "3"], env=_env(settings)
    )
    assert found.exit_code == 0, found.output
    data = json.loads(found.output)
    assert data["hits"][0]["id"] == "fixture-waste-collection-living-wage"
    filtered = runner.invoke(
        app,
        ["search", "", "--theme", "environment", "--region", "east-midlands"],
        env=_env(settings),
    )
    assert "Placeholder Homes" in filtered.output and "1 case studies" in filtered.output
    bad_mode = runner.invoke(app, ["search", "x", "--mode", "magic"], env=_env(settings))
    assert bad_mode.exit_code == 2 and "mode" in bad_mode.output
    (content_dir / "casestudies" / "broken.md").write_text("not a case study")
    refused = runner.invoke(app, ["build", "--quiet"], env=_env(settings))
    assert refused.exit_code == 1 and "previous index and database keep serving" in refused.output
    still = runner.invoke(app, ["search", "school meals", "--json"], env=_env(settings))
    assert json.loads(still.output)["hits"][0]["id"] == "fixture-school-catering-food"


def test_search_without_an_index_says_what_to_do(settings):
    r = runner.invoke(app, ["search", "x"], env=_env(settings))
    assert r.exit_code == 1 and "kb build" in r.output


def test_eval_on_a_judged_set_of_the_case_studies(settings, content_dir, tmp_path):
    ev = tmp_path / "eval"
    (ev / "qrels").mkdir(parents=True)
    (ev / "corpus.yaml").write_text(f"casestudies: {content_dir / 'casestudies'}\n")
    (ev / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "school meals with local food"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "fair pay for refuse collectors"})
        + "\n"
    )
    (ev / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\tfixture-school-catering-food\t2\n"
        "q2\tfixture-waste-collection-living-wage\t2\n"
    )
    r = runner.invoke(app, ["eval", str(ev), "--json"], env=_env(settings))
    assert r.exit_code == 0, r.output
    scores = json.loads(r.output)
    assert set(scores) == {"hybrid", "keyword", "semantic"}
    assert scores["hybrid"]["ndcg@10"] > 0.9 and set(scores["hybrid"]) >= {"recall@100", "mrr@10"}
    assert runner.invoke(app, ["eval", str(tmp_path)], env=_env(settings)).exit_code == 2


def test_build_with_a_corrupt_database_says_what_to_do(settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "kb.sqlite3").write_bytes(b"this is not a database " * 100)
    r = runner.invoke(app, ["build", "--quiet"], env=_env(settings))
    assert r.exit_code == 1
    assert "cannot be written" in r.output and "delete it" in r.output
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)
