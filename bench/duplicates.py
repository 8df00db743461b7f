"""Choose the near-duplicate threshold: similarity of distinct summaries vs. edited copies.

Negatives: every pair of the shipped case studies' summaries. They are all distinct case
studies, though some share an organisation (three from South Tyneside, two each from Torbay,
Wigan, Islington, Manchester and Leeds) or a subject (community wealth building, the TOMs).

Positives, for each shipped summary:
- reordered: its sentences in reverse order;
- words dropped: about one word in five removed (seeded);
- figures changed: every number altered;
- shortened: only the first half of its sentences (at least one);
- reworded opening: a new clause before it and light synonym swaps;
and hand-written paraphrases of twelve summaries (``PARAPHRASES``), as a second contributor
would write about the same work from the same sources.

The chosen threshold is the midpoint between the most similar distinct pair and the 5th
percentile of the paraphrases, rounded to 0.01, so that no shipped pair is flagged and almost
every paraphrase is.

    python bench/duplicates.py
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.content.library import casestudy_files  # noqa: E402
from kb.services.duplicates import THRESHOLD, embed_summaries, summary_of  # noqa: E402
from kb.settings import Settings  # noqa: E402

PARAPHRASES = {
    "preston-model": (
        "Working with the Centre for Local Economic Strategies, Preston's council mapped the "
        "procurement spending of anchor organisations such as the county council, colleges and "
        "the university, and encouraged them to redirect the spend they could influence towards "
        "local businesses and co-operatives. CLES reports that the share retained in Preston went "
        "from 5% to 18.2%, and in Lancashire from 39% to 79.2%."
    ),
    "birmingham-business-charter": (
        "Birmingham City Council's Business Charter for Social Responsibility sets six "
        "principles (local employment, buying locally, partnership with communities, the Living "
        "Wage, the environment and ethical procurement) that suppliers on larger contracts must "
        "sign up to, with an action plan. There were 100 signatories by late 2014; commitments "
        "are published but outcomes are not."
    ),
    "bristol-sv-policy": (
        "Bristol City Council's 2016 Social Value Policy, adopted following consultation, has "
        "eight objectives, weights social value at 10% in tenders and aims for a quarter of spend "
        "to go to small firms, social enterprises and the voluntary sector. Over its first year "
        "and a half, 68 out of 163 contracts included social value commitments, among them 149 "
        "apprenticeships."
    ),
    "ethical-care-charter": (
        "UNISON's Ethical Care Charter, first signed by Islington and Southwark in December 2013, "
        "commits councils to commission homecare only from providers that base visits on need "
        "rather than the clock, pay care workers for travel time, do not replace permanent "
        "contracts with zero-hours ones and pay a living wage. Brighton & Hove and South "
        "Lanarkshire built it into their commissioning."
    ),
    "hs2-skills-employment": (
        "Through its procurement and its skills, employment and education strategy, HS2 Ltd "
        "aimed for at least 2,000 apprenticeships and jobs for people who had been unemployed. "
        "By the end of 2025 it reported 2,032 apprentices and 5,645 formerly unemployed people "
        "working on the railway, with a supply chain made up mostly of UK companies and SMEs."
    ),
    "glasgow-2014-community-benefits": (
        "For the 2014 Commonwealth Games, Glasgow put community benefit clauses on targeted "
        "recruitment and training, school-leaver places and small business support into every "
        "contract, and ran the £50m Glasgow Guarantee for young people aged 16 to 24. Scottish "
        "companies won over £510m of the £669m of tier-one contracts, the council reported."
    ),
    "islington-insourcing-progressive-procurement": (
        "Islington Council has insourced around £380m of services such as refuse, cleaning, "
        "housing repairs and temporary accommodation, moving roughly 1,200 frontline workers onto "
        "the London Living Wage. Its 2020-27 Progressive Procurement Strategy aims to weight "
        "social value at 20% or more when evaluating bids."
    ),
    "wigan-deal-cif": (
        "Under The Deal, Wigan Council's informal compact with its residents, around £10m went "
        "to over 560 community groups through a tiered Community Investment Fund between 2013 "
        "and 2018. The council has cited more than £2m a year of recurring cashable savings and "
        "4,175 residents kept away from frontline services."
    ),
    "manchester-sv-weighting": (
        "Manchester City Council gives social value a 20% weighting in tender evaluation, with an "
        "extra 10% for environmental factors, and each year works with CLES to analyse where its "
        "biggest suppliers spend money and employ people. Spend with Manchester-based "
        "organisations by its top suppliers grew from 51.5% in 2008/09 to 69.9% ten years later."
    ),
    "plymouth-spend-4-plymouth": (
        "Plymouth City Council increased the proportion of its spending that goes to local firms "
        "from around 15% to almost half over roughly a decade, first by asking local suppliers "
        "for quotes below advertising thresholds and then through its Spend 4 Plymouth recovery "
        "programme. It estimated £40m of extra local spend in 2020/21, supporting 907 jobs."
    ),
    "north-ayrshire-cwb": (
        "In 2020 North Ayrshire Council became the first in Scotland to adopt a community wealth "
        "building strategy, with a 55-action plan, an anchor institution commission and support "
        "for local businesses to tender. It aimed for 26% of its spend to go to North Ayrshire "
        "firms by 2024, up from around 19% in 2019/20, and reached it in 2022/23."
    ),
    "london-fire-brigade": (
        "The London Fire Brigade makes all its contractors pay at least the London Living Wage, "
        "favours spending with SMEs and now measures social value with the National TOMs via the "
        "Social Value Portal. In 2021-22 it reported 237 people starting jobs and 11 starting "
        "apprenticeships."
    ),
}

_SWAPS = {
    "council": "authority",
    "contracts": "agreements",
    "contractors": "suppliers",
    "reported": "said",
    "local": "nearby",
    "spend": "expenditure",
    "jobs": "employment",
    "published": "released",
    "social value": "community benefit",
}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", text.strip()) if s]


def edits(summary: str, rng: random.Random) -> dict[str, str]:
    sents = _sentences(summary)
    words = summary.split()
    dropped = " ".join(w for w in words if rng.random() > 0.2)
    figures = re.sub(
        r"\d+(?:[.,]\d+)?",
        lambda m: str(int(float(m.group(0).replace(",", "")) * 1.3) + 1),
        summary,
    )
    reworded = (
        "According to a case study submitted for the library, " + summary[0].lower() + summary[1:]
    )
    for a, b in _SWAPS.items():
        reworded = re.sub(rf"\b{a}\b", b, reworded)
    return {
        "reordered": " ".join(reversed(sents)) if len(sents) > 1 else summary,
        "words dropped": dropped,
        "figures changed": figures,
        "shortened": " ".join(sents[: max(1, len(sents) // 2)]),
        "reworded opening": reworded,
    }


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--content", type=Path, default=ROOT / "content")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    settings = Settings()
    summaries = [s for s in (summary_of(p) for p in casestudy_files(args.content)) if s]
    slugs = [Path(s.path).stem for s in summaries]
    rng = random.Random(2012)
    variants: dict[str, list[tuple[int, str]]] = {}
    for i, s in enumerate(summaries):
        for kind, text in edits(s.summary, rng).items():
            variants.setdefault(kind, []).append((i, text))
    for slug, text in PARAPHRASES.items():
        if slug in slugs:
            variants.setdefault("hand-written paraphrase", []).append((slugs.index(slug), text))
    texts = [s.summary for s in summaries]
    extra = [t for v in variants.values() for _, t in v]
    vecs = embed_summaries(texts + extra, settings)
    base, rest = vecs[: len(texts)], vecs[len(texts) :]
    sims = base @ base.T
    n = len(texts)
    iu = np.triu_indices(n, 1)
    neg = sims[iu]
    order = np.argsort(-neg)
    print(f"Distinct shipped summaries: {n} case studies, {len(neg)} pairs")
    print(
        f"  max {neg.max():.3f}  p99 {pct(list(neg), 99):.3f}  p95 {pct(list(neg), 95):.3f}  "
        f"median {np.median(neg):.3f}"
    )
    print("  most similar distinct pairs:")
    for k in order[:5]:
        a, b = iu[0][k], iu[1][k]
        print(f"    {neg[k]:.3f}  {slugs[a]}  ~  {slugs[b]}")
    # Each copy against its original, and its best match among the others.
    pos_all: list[float] = []
    by_kind: dict[str, list[float]] = {}
    confusions = 0
    offset = 0
    for kind, items in variants.items():
        vals = []
        for i, _ in items:
            v = rest[offset]
            offset += 1
            s = base @ v
            vals.append(float(s[i]))
            confusions += int(np.argmax(s) != i)
        by_kind[kind] = vals
        pos_all += vals
    print("Edited copies and paraphrases, similarity to their original:")
    for kind, vals in by_kind.items():
        print(
            f"  {kind:<24} n={len(vals):<3} min {min(vals):.3f}  p5 {pct(vals, 5):.3f}  "
            f"median {np.median(vals):.3f}"
        )
    print(f"  (copies whose nearest shipped summary is not their original: {confusions})")
    para = by_kind.get("hand-written paraphrase", pos_all)
    chosen = round((float(neg.max()) + pct(para, 5)) / 2, 2)
    print()
    print(
        f"{'threshold':>10}{'distinct pairs flagged':>24}{'copies caught':>15}{'paraphrases':>13}"
    )
    for t in sorted({0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.95, chosen, THRESHOLD}):
        fp = int((neg >= t).sum())
        rec = float(np.mean(np.array(pos_all) >= t))
        rec_p = float(np.mean(np.array(para) >= t))
        mark = "  <- chosen" if t == chosen else ""
        mark += "  <- kb.services.duplicates.THRESHOLD" if t == THRESHOLD else ""
        print(f"{t:>10.2f}{fp:>24}{rec:>15.3f}{rec_p:>13.3f}{mark}")
    print()
    print(
        f"Chosen threshold: {chosen:.2f} = midpoint of the most similar distinct pair "
        f"({neg.max():.3f}) and the paraphrases' 5th percentile ({pct(para, 5):.3f})"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "distinct_max": float(neg.max()),
                    "distinct_p99": pct(list(neg), 99),
                    "by_kind": {
                        k: {"min": min(v), "median": float(np.median(v))}
                        for k, v in by_kind.items()
                    },
                    "chosen": chosen,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
