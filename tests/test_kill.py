"""SIGKILL `kb build` at each stage, and at random moments: the served index is always a complete
build of the old or the new content, and after the reconcile every start does, the database
matches it. The long random soak is `python bench/kill_soak.py --rounds 50`."""

from __future__ import annotations

from bench.kill_soak import soak

# Search stages (index being written) and the kb stage between the database commit and publishing.
STAGES = ["passages", "embedded", "written", "renamed", "loaded"]


def test_kill_at_every_stage(content_dir):
    result = soak(content_dir, rounds=len(STAGES), seed=0, stages=STAGES)
    assert result["killed"] == len(STAGES)
    loaded = next(r for r in result["log"] if r["stage"] == "loaded")
    # Killed after the database took the new content: reconcile published the matching build.
    assert loaded["index_before"] != loaded["database"] == loaded["index_after"]


def test_kill_at_random_moments(content_dir):
    result = soak(content_dir, rounds=3, seed=7)
    assert result["rounds"] == 3 and len(result["log"]) == 3
    for entry in result["log"]:  # `check` asserted the invariants; the log records them
        assert entry["index_after"] == entry["database"]
