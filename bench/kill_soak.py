"""Kill `kb build` with SIGKILL at random moments, many times, and check nothing is ever lost.

After every kill: the served index opens and is a complete build of either the old or the new
content, and after `reconcile` (what every start does) the database matches the index.

    python bench/kill_soak.py --rounds 50            # on a copy of the shipped content
    python bench/kill_soak.py --rounds 5 --json      # the smoke run CI makes
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kb.content.library import load_library  # noqa: E402
from kb.services.indexing import reconcile  # noqa: E402
from kb.settings import Settings  # noqa: E402
from kb.store.db import load_info, make_engine  # noqa: E402
from search.engine import SearchEngine, SearchQuery  # noqa: E402

KB = str(Path(sys.executable).parent / "kb")


def run_build(env: dict[str, str], kill_after: float | None, pause: str | None = None) -> str:
    """Run `kb build` and SIGKILL it after `kill_after` seconds, or, with `pause`, as soon as it
    reports pausing at that stage. Returns 'killed' or 'finished'."""
    env = dict(env)
    if pause:
        key = "KB_TEST_BUILD_PAUSE" if pause == "loaded" else "SEARCH_TEST_BUILD_PAUSE"
        env[key] = f"{pause}:120"
    proc = subprocess.Popen(
        [KB, "build", "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if pause else subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    if pause:
        for line in proc.stderr:
            if f"pausing at {pause}" in line:
                break
        else:
            proc.wait()
            return "finished"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "killed"
    try:
        proc.wait(timeout=kill_after)
        return "finished"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "killed"


def check(settings: Settings, allowed: set[str]) -> dict[str, str]:
    """The invariants, before and after the reconcile that every start performs."""
    engine = SearchEngine.open(settings.index_dir, model_name=settings.model)
    before = engine.manifest.content_hash
    assert before in allowed, f"served index is of unknown content {before[:12]}"
    listed = engine.search(SearchQuery(per_page=1)).total
    assert listed == len(engine) > 0, "served index opens but does not list its documents"
    reconcile(settings)
    after = SearchEngine.open(settings.index_dir, model_name=settings.model).manifest.content_hash
    db = load_info(make_engine(settings.resolved_database_url)).content_hash
    assert after in allowed and db in allowed, "database holds unknown content"
    assert after == db, f"index {after[:12]} and database {db[:12]} differ after reconcile"
    return {"index_before": before[:12], "index_after": after[:12], "database": db[:12]}


def soak(content_src: Path, rounds: int, seed: int, stages: list[str] | None = None) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="kb-kill-soak-") as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(content_src, content)
        settings = Settings(content_dir=content, data_dir=Path(tmp) / "var")
        env = {**os.environ, "KB_CONTENT_DIR": str(content), "KB_DATA_DIR": str(settings.data_dir)}
        env.pop("KB_DATABASE_URL", None)
        victim = sorted((content / "casestudies").glob("*.md"))[0]
        original = victim.read_text("utf-8")
        versions = [
            original,
            original.replace("## Lessons", "## Lessons\n\nEdited by the kill soak.", 1),
        ]
        hashes = set()
        for text in versions:
            victim.write_text(text, "utf-8")
            hashes.add(load_library(content).content_hash)
        victim.write_text(versions[1], "utf-8")
        assert run_build(env, None) == "finished"  # fills the embedding cache for both versions
        times = []
        for text in (versions[0], versions[1], versions[0]):
            victim.write_text(text, "utf-8")
            t0 = time.perf_counter()
            assert run_build(env, None) == "finished"
            times.append(time.perf_counter() - t0)
        full = min(times)  # a typical incremental build: the kills land inside it
        outcomes = {"killed": 0, "finished": 0}
        log = []
        for i in range(rounds):
            victim.write_text(versions[(i + 1) % 2], "utf-8")
            if stages:
                stage = stages[i % len(stages)]
                result = run_build(env, kill_after=None, pause=stage)
                if result == "finished":
                    raise AssertionError(f"the build did not pause at {stage}")
            else:
                stage = "random"
                result = run_build(env, kill_after=rng.uniform(0.05, full))
            outcomes[result] += 1
            log.append({"round": i, "stage": stage, "result": result, **check(settings, hashes)})
        return {"rounds": rounds, "build_seconds": round(full, 1), **outcomes, "log": log}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--content-dir", type=Path, default=ROOT / "content")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = soak(args.content_dir, args.rounds, args.seed)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['rounds']} rounds ({result['killed']} killed mid-build, "
            f"{result['finished']} finished first); a build takes {result['build_seconds']} s; "
            "every round: served index complete, database matched it after reconcile"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
