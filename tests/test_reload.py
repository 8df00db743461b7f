"""Publishing a new build while requests run: no errors, and no response mixes two builds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from kb.services.indexing import build
from web.app import create_app

NEW_CASE = "fixture-new-during-reload"


def test_new_build_is_picked_up_without_errors_or_mixed_results(settings, content_dir):
    build(settings)
    app = create_app(settings)
    app.state.kb.holder.check_interval = 0.05
    stop = threading.Event()
    failures: list[str] = []
    seen_totals: set[int] = set()

    with TestClient(app) as client:
        before = client.get("/healthz").json()["build_id"]

        def hammer(i: int) -> int:
            n = 0
            while not stop.is_set() and n < 400:
                n += 1
                r = client.get("/api/v1/search", params={"per_page": 50})
                if r.status_code != 200:
                    failures.append(f"search {r.status_code}")
                    continue
                data = r.json()
                slugs = {x["slug"] for x in data["results"]}
                # One build has 8 case studies, the next 9: a response must be wholly one or the other.
                if data["total"] != len(slugs) or (NEW_CASE in slugs) != (data["total"] == 9):
                    failures.append(f"mixed: total {data['total']} with {len(slugs)} results")
                seen_totals.add(data["total"])
                page = client.get("/case-studies/fixture-community-awards")
                if page.status_code != 200:
                    failures.append(f"page {page.status_code}")
            return n

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(hammer, i) for i in range(4)]
            src = (content_dir / "casestudies" / "fixture-community-awards.md").read_text()
            (content_dir / "casestudies" / f"{NEW_CASE}.md").write_text(
                src.replace(
                    "community awards and volunteering campaign", "a case added during reload"
                )
            )
            build(settings)
            deadline = threading.Event()
            for _ in range(200):
                if 9 in seen_totals:
                    break
                deadline.wait(0.05)
            stop.set()
            counts = [f.result() for f in futures]

        after = client.get("/healthz").json()
        for _ in range(50):  # a reload still running under load finishes within a few seconds
            if after["status"] == "ok":
                break
            threading.Event().wait(0.1)
            after = client.get("/healthz").json()
        assert failures == []
        assert sum(counts) > 20
        assert after["build_id"] != before and after["status"] == "ok", after
        assert after["case_studies"] == after["indexed_documents"] == 9
        assert 9 in seen_totals
