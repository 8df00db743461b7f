"""`kb serve --reload`: rebuild the index when content changes, so contributors see their page."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from kb.settings import Settings


def content_state(content_dir: Path) -> dict[str, tuple[float, int]]:
    """Modification time and size of every content file (cheap enough to poll each second)."""
    state = {}
    for p in sorted(content_dir.rglob("*")):
        if p.is_file() and p.suffix in (".md", ".yaml", ".yml"):
            st = p.stat()
            state[str(p)] = (st.st_mtime, st.st_size)
    return state


def start_watcher(
    settings: Settings,
    on_build: Callable[[str], None],
    interval: float = 1.0,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """Poll content/ and run an (incremental) build after each change; invalid content is
    reported and the last good index keeps serving. The web app picks up new builds itself."""
    from kb.content.library import ContentInvalid
    from kb.services.indexing import build

    last = content_state(settings.content_dir)  # before the thread starts: no change slips by

    def loop() -> None:
        nonlocal last
        while not (stop and stop.wait(interval)):
            if stop is None:
                time.sleep(interval)
            now = content_state(settings.content_dir)
            if now == last:
                continue
            last = now
            try:
                result = build(settings)
                on_build(
                    f"content changed: rebuilt {result.manifest.build_id} "
                    f"({result.manifest.counts['passages_embedded']} passages re-embedded)"
                )
            except ContentInvalid as exc:
                on_build(
                    f"content changed but is invalid; still serving the last good build:\n{exc}"
                )
            except Exception as exc:  # keep watching whatever happens
                on_build(f"rebuild failed: {exc}")

    thread = threading.Thread(target=loop, name="kb-content-watcher", daemon=True)
    thread.start()
    return thread
