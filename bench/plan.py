"""Measure the social value plan on the judged procurements (content/eval/procurements).

For each of the 46 judged procurements (OCDS tender, priority themes, buyer type) it writes the
plan with ``kb.services.plan.make_plan`` on the shipped content and knowledge map, and reports,
for the development split (p01-p22, used to set the plan's weights) and the test split (p23-p46,
written later and only reported):

- the plan's case studies: nDCG@5 and P@5 (relevant = judged 1 or 2) against qrels.tsv;
- the plan's outcomes: precision (share of proposed outcomes judged 1 or 2 in outcomes.tsv),
  strict precision (judged 2) and recall of the outcomes judged 2;
- the match level against match.tsv: how often it is right, the confusion table, and how often
  a procurement judged `none` or `partial` is called `close` (it must never call a no-match close);
- the same for the recommender's old "outcomes to ask for" (the tags of the top five case
  studies), as the baseline the plan replaces.

    python bench/plan.py [--data-dir /tmp/sv-plan] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from bench.recommend import EVAL_DIR, load_procurements, load_qrels, open_index  # noqa: E402

DEV = {f"p{i:02d}" for i in range(1, 23)}
LEVELS = ("close", "partial", "none")


def load_outcome_judgements(path: Path = EVAL_DIR / "outcomes.tsv") -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out.setdefault(row["query-id"], {})[row["outcome"]] = int(row["score"])
    return out


def load_match(path: Path = EVAL_DIR / "match.tsv") -> dict[str, str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["query-id"]: row["level"] for row in csv.DictReader(fh, delimiter="\t")}


def requests(procurements: list[dict[str, Any]], taxonomy: Any) -> dict[str, Any]:
    from kb.services.ocds import from_ocds

    out = {}
    for p in procurements:
        req = from_ocds(p["ocds"], taxonomy)
        req.themes = list(p.get("themes") or [])
        req.buyer_type = p.get("buyer_type")
        out[p["_id"]] = req
    return out


def _ndcg_p(ranked: list[str], judged: dict[str, int], k: int = 5) -> tuple[float, float]:
    import math

    dcg = sum((2 ** judged.get(s, 0) - 1) / math.log2(i + 2) for i, s in enumerate(ranked[:k]))
    ideal = sorted(judged.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    precision = sum(1 for s in ranked[:k] if judged.get(s, 0) > 0) / k
    return (dcg / idcg if idcg else 0.0), precision


def evaluate_plans(
    plans: dict[str, Any],
    baseline_outcomes: dict[str, list[str]],
    qrels: dict[str, dict[str, int]],
    outcomes: dict[str, dict[str, int]],
    match: dict[str, str],
    ids: set[str],
) -> dict[str, Any]:
    rows = []
    confusion = {j: dict.fromkeys(LEVELS, 0) for j in LEVELS}
    for qid in sorted(ids):
        plan = plans[qid]
        ranked = [c.case_study.slug for c in plan.case_studies]
        ndcg, p5 = _ndcg_p(ranked, qrels.get(qid, {}))
        judged = outcomes.get(qid, {})
        proposed = [o.slug for o in plan.outcomes]
        base = baseline_outcomes[qid][: len(proposed)] if proposed else []
        wanted = {o for o, g in judged.items() if g == 2}

        def prec(slugs: list[str], least: int, judged: dict[str, int] = judged) -> float:
            return sum(1 for s in slugs if judged.get(s, 0) >= least) / len(slugs) if slugs else 0.0

        rows.append(
            {
                "id": qid,
                "ndcg@5": ndcg,
                "p@5": p5,
                "outcome_precision": prec(proposed, 1),
                "outcome_precision_strict": prec(proposed, 2),
                "outcome_recall_2": (len(wanted & set(proposed)) / len(wanted)) if wanted else 1.0,
                "baseline_outcome_precision": prec(base, 1),
                "baseline_outcome_precision_strict": prec(base, 2),
                "match": plan.match_level,
                "match_judged": match.get(qid),
                "outcomes": proposed,
            }
        )
        if qid in match:
            confusion[match[qid]][plan.match_level] += 1
    n = len(rows) or 1

    def mean(key: str) -> float:
        return sum(r[key] for r in rows) / n

    judged_rows = [r for r in rows if r["match_judged"]]
    return {
        "procurements": len(rows),
        "ndcg@5": mean("ndcg@5"),
        "p@5": mean("p@5"),
        "outcome_precision": mean("outcome_precision"),
        "outcome_precision_strict": mean("outcome_precision_strict"),
        "outcome_recall_2": mean("outcome_recall_2"),
        "baseline_outcome_precision": mean("baseline_outcome_precision"),
        "baseline_outcome_precision_strict": mean("baseline_outcome_precision_strict"),
        "match_accuracy": (
            sum(r["match"] == r["match_judged"] for r in judged_rows) / len(judged_rows)
            if judged_rows
            else 0.0
        ),
        "none_called_close": confusion["none"]["close"],
        "partial_called_close": confusion["partial"]["close"],
        "confusion": confusion,
        "per_procurement": rows,
    }


def highlight_filler(plans: dict[str, Any], catalogue: Any, share: float = 0.4) -> dict[str, float]:
    """Of the words the plans' snippets highlight, how many are filler: words found in more
    than ``share`` of all case studies ("council", "value", "work")."""
    import re

    from search.tokenize import word_stems

    docs = [
        {
            st
            for w in re.findall(r"[A-Za-z]+", f"{cs.title} {cs.summary} {cs.body}")
            for st in word_stems(w)
        }
        for cs in catalogue.case_studies.values()
    ]
    marked = filler = 0
    for plan in plans.values():
        for c in plan.case_studies:
            for word in re.findall(r"<mark>(.*?)</mark>", c.recommendation.snippet_html):
                for w in re.findall(r"[A-Za-z]+", word):
                    stems = set(word_stems(w))
                    df = sum(1 for d in docs if stems & d)
                    marked += 1
                    filler += df > share * len(docs)
    reasons = [
        r.text for p in plans.values() for c in p.case_studies for r in c.recommendation.reasons
    ]
    return {
        "highlighted_words": marked,
        "filler_share": filler / marked if marked else 0.0,
        "reasons": len(reasons),
        "boilerplate_reasons": sum("Similar need" in r for r in reasons),
    }


def run(data_dir: Path | None) -> dict[str, Any]:
    from kb.content.planguide import load_plan_guide
    from kb.services.plan import make_plan
    from kb.services.recommend import recommend

    settings, engine, catalogue = open_index(data_dir)
    guide = load_plan_guide(settings.content_dir / "plan", catalogue.taxonomy)
    procs = load_procurements()
    reqs = requests(procs, catalogue.taxonomy)
    plans = {qid: make_plan(guide, catalogue, engine, req) for qid, req in reqs.items()}
    baseline = {
        qid: [o.slug for o in recommend(engine, catalogue, req, limit=5).outcomes]
        for qid, req in reqs.items()
    }
    qrels, outcomes, match = load_qrels(), load_outcome_judgements(), load_match()
    all_ids = set(reqs)
    return {
        "development": evaluate_plans(plans, baseline, qrels, outcomes, match, all_ids & DEV),
        "test": evaluate_plans(plans, baseline, qrels, outcomes, match, all_ids - DEV),
        "all": evaluate_plans(plans, baseline, qrels, outcomes, match, all_ids),
        "snippets": highlight_filler(plans, catalogue),
    }


def _print(name: str, res: dict[str, Any]) -> None:
    print(f"\n{name} ({res['procurements']} procurements)")
    print(f"  case studies   nDCG@5 {res['ndcg@5']:.3f}   P@5 {res['p@5']:.3f}")
    print(
        f"  outcomes       precision {res['outcome_precision']:.3f} (judged 2: "
        f"{res['outcome_precision_strict']:.3f})   recall of judged-2 {res['outcome_recall_2']:.3f}"
    )
    print(
        f"  baseline tags  precision {res['baseline_outcome_precision']:.3f} (judged 2: "
        f"{res['baseline_outcome_precision_strict']:.3f})"
    )
    print(
        f"  match level    right {res['match_accuracy']:.3f}   none called close "
        f"{res['none_called_close']}   partial called close {res['partial_called_close']}"
    )
    print("  confusion (judged -> plan): " + json.dumps(res["confusion"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--verbose", "-v", action="store_true", help="One line per procurement.")
    args = parser.parse_args()
    res = run(args.data_dir)
    for name in ("development", "test", "all"):
        _print(name, res[name])
    sn = res["snippets"]
    print(
        f"\nsnippets: {sn['highlighted_words']} highlighted words, {sn['filler_share']:.1%} in more "
        f"than 40% of case studies; {sn['boilerplate_reasons']} of {sn['reasons']} reasons are "
        "'Similar need to your description'"
    )
    if args.verbose:
        for r in res["all"]["per_procurement"]:
            print(
                f"{r['id']} match {r['match']:<7} judged {r['match_judged'] or '-':<7} "
                f"nDCG@5 {r['ndcg@5']:.2f} outcomes {r['outcome_precision']:.2f} {r['outcomes']}"
            )
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
