"""`kb serve --reload`: a content change triggers an incremental rebuild; bad content does not."""

from __future__ import annotations

import threading
import time

from kb.services.indexing import build
from kb.services.watch import start_watcher
from search.build import current_build_id


def _wait_for(predicate, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_watcher_rebuilds_on_change_and_keeps_serving_on_bad_content(settings, content_dir):
    build(settings)
    first = current_build_id(settings.index_dir)
    messages: list[str] = []
    stop = threading.Event()
    start_watcher(settings, on_build=messages.append, interval=0.2, stop=stop)
    page = content_dir / "casestudies" / "fixture-community-awards.md"
    page.write_text(
        page.read_text().replace("Residents nominated", "Residents and staff nominated")
    )
    assert _wait_for(lambda: any("rebuilt" in m for m in messages)), messages
    second = current_build_id(settings.index_dir)
    assert second != first
    assert "1 passages re-embedded" in messages[-1] or "2 passages re-embedded" in messages[-1]
    (content_dir / "casestudies" / "broken.md").write_text("---\ntitle: [\n---\n")
    assert _wait_for(lambda: any("invalid" in m for m in messages)), messages
    assert current_build_id(settings.index_dir) == second
    stop.set()
