"""Measure `kb suggest-tags` leave-one-out over the shipped case studies, and fit its weights.

For each case study in turn, its tags are hidden: the suggester's logistic weights are fitted on
the other case studies only (their "similar case studies" evidence also excludes the held-out
one), and the held-out case study's text is scored. Reported:

- themes: hit@1 (the top suggestion is a true theme), hit@3 (a true theme is in the top 3) and
  recall@3 (share of true themes in the top 3);
- outcomes: recall@5 and recall@8;
- what `--write` would add (confidence >= 0.5): precision and recall;
- CPV divisions named in the text (confidence >= 0.5): precision and recall;
- the same ranking metrics for each kind of evidence alone (ablation).

    python bench/suggest_tags.py            # the figures
    python bench/suggest_tags.py --fit      # also print DEFAULT_WEIGHTS fitted on all of them
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.content.library import casestudy_files  # noqa: E402
from kb.content.taxonomy import load_taxonomy  # noqa: E402
from kb.services.tagging import (  # noqa: E402
    DEFAULT_MIN_CONFIDENCE,
    FEATURES,
    Draft,
    TagSuggester,
    choose,
    load_entries,
    read_draft,
)
from kb.settings import Settings  # noqa: E402

ABLATIONS = {
    "all evidence": list(range(len(FEATURES))),
    "words only": [0],
    "embeddings only": [1, 2, 3],
    "similar case studies only": [4],
    "words + embeddings": [0, 1, 2, 3],
    "without theme-outcome links": [0, 1, 2, 3, 4],
}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> dict:
    """L2-regularised logistic regression on standardised features (Newton's method)."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-9] = 1.0
    z = (x - mean) / std
    a = np.column_stack([np.ones(len(z)), z])
    w = np.zeros(a.shape[1])
    reg = np.eye(a.shape[1]) * l2
    reg[0, 0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30, 30)))
        grad = a.T @ (p - y) + reg @ w
        hess = (a * (p * (1 - p))[:, None]).T @ a + reg + np.eye(a.shape[1]) * 1e-9
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {
        "mean": mean.tolist(),
        "std": std.tolist(),
        "coef": w[1:].tolist(),
        "intercept": float(w[0]),
    }


def _full(weights: dict, cols: list[int]) -> dict:
    """Weights over a subset of features, expanded to all features (zeros elsewhere)."""
    n = len(FEATURES)
    mean, std, coef = [0.0] * n, [1.0] * n, [0.0] * n
    for k, c in enumerate(cols):
        mean[c], std[c], coef[c] = weights["mean"][k], weights["std"][k], weights["coef"][k]
    return {"mean": mean, "std": std, "coef": coef, "intercept": weights["intercept"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--content", type=Path, default=ROOT / "content")
    ap.add_argument("--fit", action="store_true", help="print weights fitted on every case study")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    from search.build import embedding_cache_path
    from search.embedding import Embedder, EmbeddingCache, model_identity

    settings = Settings()
    taxonomy = load_taxonomy(args.content / "taxonomy.yaml")
    paths = casestudy_files(args.content)
    entries = load_entries(paths)
    # The drafts are the shipped files with their tags removed (title, summary and body only).
    drafts = [read_draft(p.read_text("utf-8")) for p in paths]
    drafts = [Draft(d.title, d.summary, d.sections) for d in drafts]
    t0 = time.perf_counter()
    cache = EmbeddingCache(embedding_cache_path(settings.index_dir), model_identity(settings.model))
    sg = TagSuggester(taxonomy, Embedder(settings.model), entries, cache=cache)
    dvs = [sg.vectors(d) for d in drafts]
    _ = sg.library_vectors, sg.term_vectors
    t_embed = time.perf_counter() - t0
    n = len(drafts)
    kinds = {"theme": "themes", "outcome": "outcomes"}
    truth = {kind: [set(getattr(e, attr)) for e in entries] for kind, attr in kinds.items()}
    slugs = {kind: [t.slug for t in sg.terms[kind]] for kind in kinds}

    # Features of every document with every exclusion set needed: {i} and {i, j}.
    t0 = time.perf_counter()
    static = [sg.static_features(drafts[i], dvs[i]) for i in range(n)]
    feats_self = [sg.features(drafts[i], dvs[i], frozenset({i}), static[i]) for i in range(n)]

    def labels(kind: str, i: int) -> np.ndarray:
        return np.array([s in truth[kind][i] for s in slugs[kind]], dtype=float)

    results: dict[str, dict] = {}
    per_ablation_scores: dict[str, dict[str, list[np.ndarray]]] = {
        a: {k: [] for k in kinds} for a in ABLATIONS
    }
    for i in range(n):
        train = [j for j in range(n) if j != i]
        train_feats = [sg.features(drafts[j], dvs[j], frozenset({i, j}), static[j]) for j in train]
        for kind in kinds:
            x = np.vstack([f[kind]["x"] for f in train_feats])
            y = np.concatenate([labels(kind, j) for j in train])
            for name, cols in ABLATIONS.items():
                w = _full(fit_logistic(x[:, cols], y), cols)
                sg.weights = {**sg.weights, kind: w}
                per_ablation_scores[name][kind].append(
                    sg.confidences(kind, feats_self[i][kind]["x"])
                )
    t_loo = time.perf_counter() - t0

    def ranking_metrics(scores: dict[str, list[np.ndarray]]) -> dict[str, float]:
        hit1 = hit3 = rec3 = rec5_o = rec8_o = 0.0
        for i in range(n):
            order = [slugs["theme"][j] for j in np.argsort(-scores["theme"][i], kind="stable")]
            true = truth["theme"][i]
            hit1 += order[0] in true
            hit3 += bool(true & set(order[:3]))
            rec3 += len(true & set(order[:3])) / len(true)
            order_o = [
                slugs["outcome"][j] for j in np.argsort(-scores["outcome"][i], kind="stable")
            ]
            true_o = truth["outcome"][i]
            rec5_o += len(true_o & set(order_o[:5])) / len(true_o)
            rec8_o += len(true_o & set(order_o[:8])) / len(true_o)
        return {
            "theme_hit@1": hit1 / n,
            "theme_hit@3": hit3 / n,
            "theme_recall@3": rec3 / n,
            "outcome_recall@5": rec5_o / n,
            "outcome_recall@8": rec8_o / n,
        }

    for name in ABLATIONS:
        results[name] = ranking_metrics(per_ablation_scores[name])

    # What --write would add from an empty draft, with the full model.
    from kb.services.tagging import Suggestion, Suggestions

    tp = {"theme": 0, "outcome": 0, "cpv": 0}
    fp = dict(tp)
    fn = dict(tp)
    for i in range(n):
        sugg = {}
        for kind in kinds:
            conf = per_ablation_scores["all evidence"][kind][i]
            sugg[kind] = [
                Suggestion(kind, slugs[kind][j], "", float(conf[j]), [])
                for j in np.argsort(-conf, kind="stable")
            ]
        cpv = sg.suggest_cpv(drafts[i], frozenset({i}), static[i]["parts"])
        chosen = choose(Suggestions(sugg["theme"], sugg["outcome"], cpv), taxonomy)
        for kind, got, true in (
            ("theme", set(chosen.themes), truth["theme"][i]),
            ("outcome", set(chosen.outcomes), truth["outcome"][i]),
            ("cpv", set(chosen.cpv), set(entries[i].cpv)),
        ):
            tp[kind] += len(got & true)
            fp[kind] += len(got - true)
            fn[kind] += len(true - got)
    written = {
        kind: {
            "precision": tp[kind] / max(1, tp[kind] + fp[kind]),
            "recall": tp[kind] / max(1, tp[kind] + fn[kind]),
            "added_per_case_study": (tp[kind] + fp[kind]) / n,
        }
        for kind in tp
    }

    print(
        f"Leave-one-out over {n} shipped case studies ({len(slugs['theme'])} themes, "
        f"{len(slugs['outcome'])} outcomes); embedding {t_embed:.1f}s, scoring {t_loo:.1f}s"
    )
    print()
    print(
        f"{'evidence':<28}{'theme hit@1':>12}{'hit@3':>8}{'recall@3':>10}"
        f"{'outcome R@5':>13}{'R@8':>7}"
    )
    for name, m in results.items():
        print(
            f"{name:<28}{m['theme_hit@1']:>12.3f}{m['theme_hit@3']:>8.3f}"
            f"{m['theme_recall@3']:>10.3f}{m['outcome_recall@5']:>13.3f}{m['outcome_recall@8']:>7.3f}"
        )
    print()
    print(f"--write (confidence >= {DEFAULT_MIN_CONFIDENCE}), starting from an untagged draft:")
    for kind, m in written.items():
        print(
            f"  {kind:<8} precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
            f"added per case study {m['added_per_case_study']:.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"ranking": results, "write": written}, indent=2))

    if args.fit:
        full = {}
        all_feats = [sg.features(drafts[j], dvs[j], frozenset({j}), static[j]) for j in range(n)]
        for kind in kinds:
            x = np.vstack([f[kind]["x"] for f in all_feats])
            y = np.concatenate([labels(kind, j) for j in range(n)])
            w = fit_logistic(x, y)
            full[kind] = {
                k: (np.round(v, 4).tolist() if isinstance(v, list) else round(v, 4))
                for k, v in w.items()
            }
        print()
        print("DEFAULT_WEIGHTS = {")
        for kind, w in full.items():
            print(f'    "{kind}": {{')
            for key, value in w.items():
                print(f'        "{key}": {json.dumps(value)},')
            print("    },")
        print("}")


if __name__ == "__main__":
    main()
