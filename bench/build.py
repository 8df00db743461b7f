"""Build times: a full build of 1,000 case studies (every passage embedded, empty cache), a
rebuild with nothing changed, and an incremental rebuild after editing one file of the 1,000.

    python bench/build.py [--size 1000] [--work-dir /tmp/kb-bench-build] [--json]

The 1,000 documents are the shipped case studies replicated with distinct titles, so every passage
is new to the embedding cache (copies that shared text would be embedded once).
"""

from __future__ import annotations

# ruff: noqa: E402  (imports follow the sys.path fix-up below)
import os
import sys

# Keep bench/ off the front of the import path (bench/http.py, bench/search.py would shadow
# the standard library's http package and the search package).
_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0]) == _HERE:
    sys.path.pop(0)
sys.path.insert(0, os.path.dirname(_HERE))
sys.path.append(_HERE)

import argparse
import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

from common import content_hash, replicate, shipped_documents, vocabulary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/kb-bench-build"))
    ap.add_argument(
        "--keep-cache", action="store_true", help="do not empty the embedding cache first"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from search.build import build_index
    from search.embedding import DEFAULT_MODEL

    if args.work_dir.exists() and not args.keep_cache:
        shutil.rmtree(args.work_dir)
    docs = replicate(shipped_documents(), args.size, distinct_text=True)
    vocab = vocabulary()
    index_dir = args.work_dir / "index"
    out = {"documents": len(docs)}

    def run(label: str, documents) -> None:
        t = time.perf_counter()
        m = build_index(
            documents,
            index_dir,
            model_name=DEFAULT_MODEL,
            content_hash=content_hash(documents),
            progress=False,
            vocabulary=vocab,
        )
        out[label] = {
            "seconds": round(time.perf_counter() - t, 2),
            "passages": m.counts["passages"],
            "passages_embedded": m.counts["passages_embedded"],
        }
        print(json.dumps({label: out[label]}), file=sys.stderr, flush=True)

    run("full_build_empty_cache", docs)
    run("rebuild_unchanged", docs)
    edited = list(docs)
    d = edited[len(edited) // 2]
    sections = list(d.sections)
    head, body = sections[1]
    sections[1] = (
        head,
        body + "\n\nThe council later extended the approach to its parks contract.",
    )
    edited[len(edited) // 2] = replace(d, sections=sections)
    run("incremental_one_file_edited", edited)
    size = sum(f.stat().st_size for f in (args.work_dir).rglob("*") if f.is_file())
    out["data_dir_mb"] = round(size / 2**20, 1)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        for k, v in out.items():
            print(k, v)


if __name__ == "__main__":
    main()
