"""Measure "What works for my procurement?" on the judged procurement set.

Builds an index of the shipped content in a temporary folder (or reuses one with --data-dir),
parses every procurement in content/eval/procurements/procurements.jsonl with ``from_ocds`` (plus
the council's priority themes), runs ``kb.services.recommend.recommend`` and scores the rankings against
qrels.tsv with ranx (nDCG@5, Recall@5, MRR@10). It compares:

- text-only: hybrid text relevance alone (all field weights 0);
- fields-only: CPV category, themes, region and cross-cutting policies alone (text weight 0);
- combined: the shipped ``Weights()`` defaults;

and runs a grid over the field weights (cpv, theme, region, cross_cutting; text stays 1).

Choosing defaults: with 22 judged procurements one query moves nDCG@5 by up to 0.05, so the
single best cell is not the pick. Each cell is also scored by the mean nDCG@5 of itself and its
neighbours (one step along each axis), the per-axis profiles show where each weight's plateau
is, and the shipped ``Weights()`` are checked to be within one standard error (of the paired
per-query difference) of the best smoothed cell. The defaults sit in the middle of each plateau.

    python bench/recommend.py [--data-dir /tmp/sv-rec] [--no-grid] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ is sys.path[0]; a module there named like a standard one (bench/http.py)
# would shadow it, so import from the repository root only.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from kb.services.recommend import ProcurementRequest, Weights, recommend  # noqa: E402

EVAL_DIR = ROOT / "content" / "eval" / "procurements"
METRICS = ("ndcg@5", "recall@5", "mrr@10")
DEPTH = 10  # recommendations per procurement (enough for all three metrics)
GRID = {
    "cpv": (0.0, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5),
    "theme": (0.0, 0.1, 0.2, 0.3, 0.5, 0.75),
    "region": (0.0, 0.05, 0.1, 0.2, 0.3),
    "cross_cutting": (0.0, 0.05, 0.1, 0.2, 0.35),
}


class CachedEngine:
    """Wraps a SearchEngine so that each text query is searched once, whatever the weights."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._cache: dict[tuple[Any, ...], Any] = {}

    def search(self, q: Any) -> Any:
        key = (q.text, q.mode, q.per_page, q.page)
        if key not in self._cache:
            self._cache[key] = self.engine.search(q)
        return self._cache[key]


def load_procurements(path: Path = EVAL_DIR / "procurements.jsonl") -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_qrels(path: Path = EVAL_DIR / "qrels.tsv") -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    return qrels


def requests(procurements: list[dict[str, Any]], taxonomy: Any) -> dict[str, ProcurementRequest]:
    """Each judged procurement as the web form would see it: the OCDS tender plus themes."""
    from kb.services.ocds import from_ocds

    out = {}
    for p in procurements:
        req = from_ocds(p["ocds"], taxonomy)
        req.themes = list(p.get("themes") or [])
        out[p["_id"]] = req
    return out


def open_index(data_dir: Path | None) -> tuple[Any, Any, Any]:
    """(settings, engine, catalogue) for the shipped content.

    Always runs ``kb build`` into ``data_dir`` (a new temporary folder by default) so the index and
    database match the current content and schema; embeddings are cached in ``data_dir``, so
    reusing a folder makes later runs quick.
    """
    from kb.services.indexing import build
    from kb.settings import Settings
    from kb.store.catalogue import load_catalogue
    from kb.store.db import make_engine
    from search.engine import SearchEngine

    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="sv-recommend-"))
    settings = Settings(content_dir=ROOT / "content", data_dir=data_dir)
    db_file = Path(data_dir) / "kb.sqlite3"
    if settings.resolved_database_url.endswith(str(db_file.resolve())) and db_file.exists():
        db_file.unlink()  # a derived file; rebuilt below (its schema may be older than the code's)
    t0 = time.perf_counter()
    build(settings)
    print(f"built index in {time.perf_counter() - t0:.1f}s at {data_dir}", file=sys.stderr)
    engine = SearchEngine.open(settings.index_dir, model_name=settings.model)
    catalogue = load_catalogue(make_engine(settings.resolved_database_url))
    return settings, engine, catalogue


def run_for(
    engine: Any, catalogue: Any, reqs: dict[str, ProcurementRequest], weights: Weights
) -> dict[str, dict[str, float]]:
    """The recommender's top ``DEPTH`` per procurement, as descending scores that keep its order
    (ties in the recommender's own score are broken exactly as it breaks them)."""
    run: dict[str, dict[str, float]] = {}
    for qid, req in reqs.items():
        items = recommend(engine, catalogue, req, limit=DEPTH, weights=weights).items
        run[qid] = {r.case_study.slug: float(DEPTH - i) for i, r in enumerate(items)}
        if not run[qid]:  # ranx needs every query in the run; nothing found scores 0
            run[qid] = {"__none__": 0.0}
    return run


def score(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], *, per_query: bool = False
) -> dict[str, Any]:
    from ranx import Qrels, Run, evaluate

    q, r = Qrels.from_dict(qrels), Run.from_dict(run)
    if per_query:
        return {m: list(evaluate(q, r, m, return_mean=False)) for m in METRICS}
    res = evaluate(q, r, list(METRICS))
    return {m: float(res[m]) for m in METRICS}


def variants(base: Weights) -> dict[str, Weights]:
    return {
        "text-only": replace(base, cpv=0.0, theme=0.0, region=0.0, cross_cutting=0.0),
        "fields-only": replace(base, text=0.0),
        "combined": base,
    }


def _neighbours(idx: tuple[int, ...], shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    out = [idx]
    for axis in range(len(shape)):
        for step in (-1, 1):
            j = idx[axis] + step
            if 0 <= j < shape[axis]:
                out.append((*idx[:axis], j, *idx[axis + 1 :]))
    return out


def _paired_se(a: list[float], b: list[float]) -> float:
    d = [x - y for x, y in zip(a, b, strict=True)]
    mean = sum(d) / len(d)
    var = sum((x - mean) ** 2 for x in d) / max(len(d) - 1, 1)
    return math.sqrt(var / len(d))


def grid_search(
    engine: Any,
    catalogue: Any,
    reqs: dict[str, ProcurementRequest],
    qrels: dict[str, dict[str, int]],
) -> dict[tuple[int, ...], dict[str, Any]]:
    """Every cell of GRID (text weight 1), with per-query figures and the smoothed nDCG@5."""
    axes = list(GRID)
    shape = tuple(len(GRID[a]) for a in axes)
    cells: dict[tuple[int, ...], dict[str, Any]] = {}
    for idx in itertools.product(*(range(s) for s in shape)):
        weights = {a: GRID[a][i] for a, i in zip(axes, idx, strict=True)}
        per_q = score(qrels, run_for(engine, catalogue, reqs, Weights(**weights)), per_query=True)
        cells[idx] = {
            "weights": weights,
            "per_query": per_q,
            **{m: sum(v) / len(v) for m, v in per_q.items()},
        }
    for idx, cell in cells.items():
        nb = _neighbours(idx, shape)
        cell["smoothed"] = sum(cells[j]["ndcg@5"] for j in nb) / len(nb)
    return cells


def _row(name: str, res: dict[str, float], extra: str = "") -> str:
    return f"| {name:<44} | {res['ndcg@5']:.3f}  | {res['recall@5']:.3f} | {res['mrr@10']:.3f}  | {extra}"


def _wlabel(w: Weights | dict[str, float]) -> str:
    d = asdict(w) if isinstance(w, Weights) else w
    keys = ("text", "cpv", "theme", "region", "cross_cutting")
    return ", ".join(f"{k}={d[k]:g}" for k in keys if k in d)


HEADER = (
    "| {:<44} | nDCG@5 | R@5   | MRR@10 | {}\n"
    "|----------------------------------------------|--------|-------|--------|-------"
)


def report_grid(cells: dict[tuple[int, ...], dict[str, Any]], top: int) -> dict[str, Any]:
    axes = list(GRID)
    ranked = sorted(cells.values(), key=lambda c: (-c["ndcg@5"], -c["smoothed"]))
    print(HEADER.format("grid cell (text=1)", "smoothed nDCG@5 (cell + neighbours)"))
    for c in ranked[:top]:
        print(_row(_wlabel(c["weights"]), c, f"{c['smoothed']:.3f}"))

    print("\nper-axis profile: nDCG@5 best / mean over the other axes")
    for a in axes:
        parts = []
        for v in GRID[a]:
            vals = [c["ndcg@5"] for c in cells.values() if c["weights"][a] == v]
            parts.append(f"{v:g}: {max(vals):.3f}/{sum(vals) / len(vals):.3f}")
        print(f"  {a:<13} " + "  ".join(parts))

    best = ranked[0]
    robust = max(cells.values(), key=lambda c: (c["smoothed"], c["ndcg@5"]))
    print(f"\nbest cell:          {_wlabel(best['weights'])}: nDCG@5 {best['ndcg@5']:.3f}")
    print(
        f"best smoothed cell: {_wlabel(robust['weights'])}: nDCG@5 {robust['ndcg@5']:.3f}, "
        f"smoothed {robust['smoothed']:.3f}"
    )
    defaults = Weights()
    shipped_w = {a: getattr(defaults, a) for a in axes}
    shipped = next((c for c in cells.values() if c["weights"] == shipped_w), None)
    verdict: dict[str, Any] = {"weights": shipped_w, "on_grid": shipped is not None}
    if shipped is not None:
        se = _paired_se(robust["per_query"]["ndcg@5"], shipped["per_query"]["ndcg@5"])
        gap = robust["smoothed"] - shipped["smoothed"]
        within = bool(gap <= se)
        near = sum(c["smoothed"] >= robust["smoothed"] - se for c in cells.values())
        print(
            f"shipped defaults:   {_wlabel(shipped_w)}: nDCG@5 {shipped['ndcg@5']:.3f}, "
            f"smoothed {shipped['smoothed']:.3f}, {gap:.3f} below the best smoothed cell; "
            f"one s.e. of the paired per-query difference is {se:.3f}, so "
            + ("within noise" if within else "NOT within noise: revisit the defaults")
        )
        print(f"{near} of {len(cells)} cells are within that s.e. of the best smoothed cell")
        verdict |= {k: float(shipped[k]) for k in (*METRICS, "smoothed")}
        verdict |= {"gap": float(gap), "se": float(se), "within_noise": within}
    else:
        print(f"shipped defaults {_wlabel(shipped_w)} are not a grid cell")
    return {
        "axes": {a: list(GRID[a]) for a in axes},
        "best": {k: best[k] for k in ("weights", *METRICS, "smoothed")},
        "best_smoothed": {k: robust[k] for k in ("weights", *METRICS, "smoothed")},
        "shipped": verdict,
        "cells": [{k: c[k] for k in ("weights", *METRICS, "smoothed")} for c in ranked],
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="build into this folder (keeps its embedding cache)",
    )
    ap.add_argument("--no-grid", action="store_true", help="only the three variants")
    ap.add_argument("--top", type=int, default=10, help="grid cells to print")
    ap.add_argument("--json", type=Path, default=None, help="write all figures to this file")
    args = ap.parse_args()

    _, raw_engine, catalogue = open_index(args.data_dir)
    engine = CachedEngine(raw_engine)
    qrels = load_qrels()
    reqs = requests(load_procurements(), catalogue.taxonomy)
    missing = sorted(set(reqs) - set(qrels))
    if missing:
        raise SystemExit(f"procurements without judgements: {missing}")
    n_judged = sum(len(v) for v in qrels.values())
    print(
        f"{len(reqs)} procurements, {n_judged} judgements, {len(catalogue.case_studies)} case studies"
    )
    print()

    out: dict[str, Any] = {"variants": {}}
    print(HEADER.format("variant", "weights"))
    per_query: dict[str, dict[str, list[float]]] = {}
    for name, w in variants(Weights()).items():
        run = run_for(engine, catalogue, reqs, w)
        res = score(qrels, run)
        per_query[name] = score(qrels, run, per_query=True)
        out["variants"][name] = {"weights": asdict(w), **res}
        print(_row(name, res, _wlabel(w)))
    comb, text = per_query["combined"]["ndcg@5"], per_query["text-only"]["ndcg@5"]
    d = [c - t for c, t in zip(comb, text, strict=True)]
    better, worse = sum(x > 1e-9 for x in d), sum(x < -1e-9 for x in d)
    print(
        f"\ncombined - text-only nDCG@5: {sum(d) / len(d):+.3f} (s.e. {_paired_se(comb, text):.3f}); "
        f"better on {better}, worse on {worse} of {len(d)} procurements"
    )
    print("\nnDCG@5 per procurement: text-only / fields-only / combined")
    for i, qid in enumerate(reqs):
        t, f, c = (per_query[v]["ndcg@5"][i] for v in ("text-only", "fields-only", "combined"))
        print(f"  {qid}  {t:.2f} / {f:.2f} / {c:.2f}  {reqs[qid].title[:70]}")

    if not args.no_grid:
        t0 = time.perf_counter()
        cells = grid_search(engine, catalogue, reqs, qrels)
        print(f"\ngrid of {len(cells)} cells ({time.perf_counter() - t0:.0f}s):")
        print("  " + "; ".join(f"{a} {', '.join(f'{v:g}' for v in GRID[a])}" for a in GRID))
        out["grid"] = report_grid(cells, args.top)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
