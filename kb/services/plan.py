"""The social value plan for a procurement: what an officer writes into the tender.

A plan reads the procurement (category, value band, region, the needs its own words name),
proposes a proportionate number of priority outcomes — from the knowledge map for that kind of
contract, the tender's words and the council's priorities, confirmed by what other buyers
required — and gives for each the award question, measures, the ask and the contract evidence of
similar buyers. It then ranks the case studies as evidence and says honestly how closely the
library matches this kind of contract. The guidance comes from content/plan/ (kb.content.planguide).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kb.content.planguide import Band, Category, OutcomeGuide, PlanGuide, Rule
from kb.services.amounts import format_pounds
from kb.services.recommend import ProcurementRequest, Reason, Recommendation, recommend
from kb.store.catalogue import CaseStudyView, Catalogue

if TYPE_CHECKING:
    from search.engine import SearchEngine

#: Outcomes only a buyer can deliver, whatever the guidance file says (a supplier cannot be
#: asked to insource the service it is bidding for).
BUYER_ONLY = frozenset(
    {
        "insourcing-and-public-ownership",
        "community-asset-transfer",
        "anchor-institution-collaboration",
    }
)

#: Synonyms too general to show that a tender asks for an outcome ("health" is in every care
#: notice; "waste" in every waste notice, where the map already proposes waste outcomes).
GENERIC_PHRASES = frozenset(
    {
        "health",
        "wellbeing",
        "waste",
        "repair",
        "repairs",
        "reporting",
        "monitoring",
        "measurement",
        "contract management",
        "kpis",
        "grants",
        "recognition",
        "participation",
        "consultation",
        "infrastructure",
        "young people",
        "colleges",
        "mentoring",
        "prevention",
        "placements",
        "qualifications",
        "devices",
        "nature",
        "trees",
        "parks",
        "celebration",
        "thank you",
        "inspiring",
        "restoration",
        "carbon",
        "emissions",
        "disadvantaged",
        "charities",
        "community groups",
        "donations",
        "sponsorship",
        "cat",
        "ev",
        "fleet",
        "solar",
        "mutual",
        "in-house",
        "almo",
        "direct delivery",
        "home improvements",
        "planned maintenance",
    }
)

#: How much each source of an outcome adds to its priority. Set on the development split of
#: content/eval/procurements (bench/plan.py): the knowledge map leads, the tender's own words
#: next, the council's priorities and the evidence of similar buyers break ties.
MAP_WEIGHT = 3.0
MAP_RANK_STEP = 0.25
TEXT_WEIGHT = 1.5
PRIORITY_WEIGHT = 0.75
EVIDENCE_WEIGHT = 0.25
DEFAULT_OUTCOMES = 3

#: Semantic similarity (best passage, cosine) above which a case study counts as related
#: practice when no case study shares the contract's category (bench/plan.py, development split).
RELATED_SIMILARITY = 0.6

#: With only a division's guidance, how similar (best passage, cosine) a case study in that
#: division must be to the notice to count as about the same kind of contract.
ABOUT_SIMILARITY = 0.6
#: How similar a case study in the right division must be to a narrower category's label and
#: terms to count as about that kind of contract when none of its terms appears in the case
#: study's title or summary (bench/plan.py, development split).
CATEGORY_SIMILARITY = 0.4

#: How many case studies the plan cites as evidence, and how many it considers.
CASE_STUDIES = 6
CONSIDERED = 25
EVIDENCE_PER_OUTCOME = 3

_STATUS_ORDER = {"delivered": 0, "in-progress": 1, "not-met": 2, "commitment": 3}


@dataclass
class ReadProcurement:
    """ "How we read your procurement": each line the officer can correct."""

    request: ProcurementRequest
    category: Category | None
    category_how: str  # "from CPV 90511000" / "from the words “refuse collection”"
    kind: str | None
    band: Band | None
    ask: str  # commitment | plan
    needs: dict[str, str]  # outcome slug -> the tender's phrase that names it
    buyer_needs: dict[str, str]  # buyer-only outcomes the tender names
    broad: bool = False  # the category is the division of a more specific code
    proportionality: str = ""  # why this many outcomes and this strength of ask

    def to_json(self, catalogue: Catalogue) -> dict[str, Any]:
        req, tax = self.request, catalogue.taxonomy
        return {
            "title": req.title,
            "description": req.description,
            "cpv": req.cpv,
            "value": req.value_gbp,
            "value_band": (
                {"slug": self.band.slug, "label": self.band.label} if self.band else None
            ),
            "duration_months": req.duration_months,
            "region": req.region,
            "region_label": tax.regions.label(req.region) if req.region else None,
            "buyer_type": req.buyer_type,
            "themes": req.themes,
            "kind": self.kind,
            "category": (
                {"code": self.category.code, "label": self.category.label, "how": self.category_how}
                if self.category
                else None
            ),
            "ask": self.ask,
            "detected_needs": [
                {"outcome": slug, "label": tax.outcomes.label(slug), "phrase": phrase}
                for slug, phrase in self.needs.items()
            ],
        }


@dataclass
class EvidenceAsk:
    """One record of what a buyer required of its supplier, from a case study's contract evidence."""

    case_study: CaseStudyView
    ask: dict[str, Any]
    same_category: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "case_study": self.case_study.slug,
            "title": self.case_study.title,
            "organisation": self.case_study.organisation,
            **{
                k: self.ask.get(k)
                for k in ("requirement", "measure", "target", "result", "status", "source")
            },
            "same_category": self.same_category,
        }


@dataclass
class PlanOutcome:
    slug: str
    label: str
    why: list[str]
    guide: OutcomeGuide | None
    ask: str
    evidence: list[EvidenceAsk]
    score: float

    def to_json(self) -> dict[str, Any]:
        g = self.guide
        return {
            "slug": self.slug,
            "label": self.label,
            "why": self.why,
            "question": g.question if g else None,
            "ask": self.ask,
            "measures": [m.__dict__ for m in g.measures] if g else [],
            "model_outcome": (
                {"name": g.model_outcome, "source": g.model_outcome_source}
                if g and g.model_outcome
                else None
            ),
            "sources": list(g.sources) if g else [],
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass
class PlanCaseStudy:
    recommendation: Recommendation
    about: bool  # about this kind of contract
    score: float

    @property
    def case_study(self) -> CaseStudyView:
        return self.recommendation.case_study

    def to_json(self) -> dict[str, Any]:
        data = self.recommendation.to_json()
        data["score"] = round(self.score, 4)
        data["about_this_kind_of_contract"] = self.about
        return data


@dataclass
class Weighting:
    national_minimum: float | None
    minimum_rule: Rule | None
    similar: list[tuple[CaseStudyView, dict[str, Any]]]

    def to_json(self) -> dict[str, Any]:
        return {
            "national_minimum_percent": self.national_minimum,
            "national_minimum_source": self.minimum_rule.source if self.minimum_rule else None,
            "similar_buyers": [
                {
                    "case_study": cs.slug,
                    "title": cs.title,
                    "organisation": cs.organisation,
                    "social_value_percent": w.get("social_value_percent"),
                    "note": w.get("note"),
                    "source": w.get("source"),
                }
                for cs, w in self.similar
            ],
        }


@dataclass
class Plan:
    procurement: ReadProcurement
    match_level: str  # close | partial | none
    match_message: str
    outcomes: list[PlanOutcome]
    buyer_notes: list[tuple[str, str, str]]  # (slug, label, what the buyer can do)
    rules: list[Rule]
    proportionality: str
    weighting: Weighting
    case_studies: list[PlanCaseStudy]
    mode: str = "hybrid"
    notes: list[str] = field(default_factory=list)

    def to_json(self, catalogue: Catalogue) -> dict[str, Any]:
        return {
            "procurement": self.procurement.to_json(catalogue),
            "match": {"level": self.match_level, "message": self.match_message},
            "proportionality": self.proportionality,
            "outcomes": [o.to_json() for o in self.outcomes],
            "for_the_buyer": [
                {"slug": s, "label": label, "note": note} for s, label, note in self.buyer_notes
            ],
            "rules": [
                {
                    "slug": r.slug,
                    "title": r.title,
                    "says": r.says,
                    "source": r.source,
                    "min_weighting_percent": r.min_weighting_percent,
                }
                for r in self.rules
            ],
            "weighting": self.weighting.to_json(),
            "case_studies": [c.to_json() for c in self.case_studies],
            "notes": self.notes,
            "mode": self.mode,
        }


# Reading the procurement.


_DASHES = re.compile(r"[\s\-\u2010-\u2015/]+")


def _fold(text: str) -> str:
    """Lower case, with hyphens, dashes and slashes as spaces ("home-to-school" = "home to school")."""
    return _DASHES.sub(" ", text.lower())


def _phrase_re(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(_fold(phrase)) + r"(?!\w)")


def _term_hits(text: str, terms: tuple[str, ...]) -> list[str]:
    folded = _fold(text)
    return [t for t in terms if _phrase_re(t).search(folded)]


def _division_for_narrower_code(
    guide: PlanGuide, category: Category, req: ProcurementRequest
) -> bool:
    """Whether a code-matched category is only the division of a more specific code (79530000
    read as all of division 79), where the map says the division differs inside (it has narrower
    entries: consultancy, agency staff, legal ...)."""
    if len(category.code) != 2:
        return False
    digits = re.sub(r"\D", "", req.cpv[0].split("-")[0])
    narrower = any(c.startswith(category.code) and len(c) > 2 for c in guide.categories)
    return narrower and len(digits.rstrip("0")) > 2


def detect_category(guide: PlanGuide, req: ProcurementRequest) -> tuple[Category | None, str, bool]:
    """The kind of contract, how it was found, and whether it is only the division of a more
    specific code: from the main CPV code, refined or found by the notice's words."""
    text = req.text
    by_code = None
    if req.cpv:
        by_code = guide.category_for_code(req.cpv[0])
    # The notice's words can name a narrower kind of contract inside the coded division
    # (a 90000000 code with "refuse collection" in the title), or the kind when no code is given.
    best: tuple[int, int, int, Category, list[str]] | None = None
    for cat in guide.categories.values():
        if by_code is not None and not (
            cat.code.startswith(by_code.code) and len(cat.code) > len(by_code.code)
        ):
            continue
        hits = _term_hits(text, cat.terms)
        if hits:
            # the title counts first, then the most specific phrase ("refuse collection
            # vehicle" over "refuse collection"), then how many phrases match
            title_hits = len(_term_hits(req.title, cat.terms))
            key = (title_hits, max(len(h) for h in hits), len(hits), cat, hits)
            if best is None or key[:3] > best[:3]:
                best = key
    if best is not None:
        words = ", ".join(f"“{h}”" for h in best[4][:3])
        how = f"from the words {words}" + (f" and CPV {req.cpv[0]}" if by_code else "")
        return best[3], how, False
    if by_code is not None:
        return by_code, f"from CPV {req.cpv[0]}", _division_for_narrower_code(guide, by_code, req)
    for code in req.cpv[1:]:
        extra = guide.category_for_code(code)
        if extra is not None:
            return extra, f"from the additional CPV code {code}", False
    return None, "", False


def detect_needs(catalogue: Catalogue, text: str) -> dict[str, str]:
    """Outcomes the tender's own words name, with the phrase that names each."""
    folded = _fold(text)
    found: dict[str, str] = {}
    for term in catalogue.taxonomy.outcomes:
        for phrase in (term.label, *term.synonyms):
            p = phrase.lower()
            if p in GENERIC_PHRASES or len(p) < 3:
                continue
            m = _phrase_re(p).search(folded)
            if m:
                found[term.slug] = m.group(0)
                break
    return found


def _ask_strength(band: Band | None, req: ProcurementRequest, guide: PlanGuide) -> tuple[str, str]:
    """commitment or plan, and the sentence saying why."""
    months = req.duration_months
    if band is None:
        base = "commitment"
        why = "No value was given, so the plan proposes commitments; give a value to size it."
    else:
        base = band.ask
        value = format_pounds(req.value_gbp or 0)
        why = f"At {value} this contract is in the band {band.label}"
        why += f" ({band.note})" if band.note else ""
        why += "."
    if months is not None and months < 12 and base == "plan":
        return "commitment", why + f" Over {months} months, commitments are more proportionate."
    if (
        months is not None
        and months >= 60
        and base == "commitment"
        and band is not None
        and band is not guide.bands[0]
    ):
        return "plan", why + f" Over {months // 12} years, a plan with targets is proportionate."
    return base, why


def read_procurement(
    guide: PlanGuide, catalogue: Catalogue, req: ProcurementRequest
) -> ReadProcurement:
    category, how, broad = detect_category(guide, req)
    if broad:
        how = f"from the division of CPV {req.cpv[0]}: no guidance for the narrower kind"
    band = guide.band_for(req.value_gbp)
    ask, proportionality = _ask_strength(band, req, guide)
    needs = detect_needs(catalogue, req.text)
    buyer = {s: p for s, p in needs.items() if _is_buyer_only(guide, s)}
    return ReadProcurement(
        request=req,
        category=category,
        category_how=how,
        kind=req.kind or (category.kind if category else None),
        band=band,
        ask=ask,
        needs={s: p for s, p in needs.items() if s not in buyer},
        buyer_needs=buyer,
        broad=broad,
        proportionality=proportionality,
    )


def _is_buyer_only(guide: PlanGuide, slug: str) -> bool:
    g = guide.outcomes.get(slug)
    return slug in BUYER_ONLY or bool(g and g.buyer_only)


# Case studies as evidence.


def is_about(cs: CaseStudyView, category: Category) -> bool:
    """Whether a case study is about this kind of contract (not a policy across all spend)."""
    if cs.scope == "cross-cutting":
        return False
    division = category.code[:2]
    if len(category.code) == 2 and division in cs.cpv:
        return True
    if cs.cpv and division not in cs.cpv:
        return False
    return bool(_term_hits(f"{cs.title}\n{cs.summary}", category.terms))


@dataclass
class KindMatch:
    """Which case studies are about the procurement's kind of contract.

    When the category is only the division of a more specific code (translation read as all
    of "business services"), sharing the division is not enough: the case study must also be
    close in meaning to the notice, or nothing is about it and the match is at best partial.
    """

    category: Category | None
    broad: bool = False
    similarity: dict[str, float | None] = field(default_factory=dict)  # to the notice
    to_category: dict[str, float] = field(default_factory=dict)  # to the category's words
    _seen: dict[str, bool] = field(default_factory=dict, repr=False)

    def __call__(self, cs: CaseStudyView) -> bool:
        """Asked for every case study by the ranking, the evidence, the weighting and the match
        level; answered once per case study."""
        if cs.slug not in self._seen:
            self._seen[cs.slug] = self._about(cs)
        return self._seen[cs.slug]

    def _about(self, cs: CaseStudyView) -> bool:
        cat = self.category
        if cat is None or cs.scope == "cross-cutting":
            return False
        if self.broad:
            sim = self.similarity.get(cs.slug)
            return cat.code in cs.cpv and sim is not None and sim >= ABOUT_SIMILARITY
        if is_about(cs, cat):
            return True
        # A case study names its contract in its own words ("the Streets Ahead highways PFI"
        # for highways maintenance): in the right division, close in meaning to the category.
        in_division = cat.code[:2] in cs.cpv or not cs.cpv
        return in_division and self.to_category.get(cs.slug, 0.0) >= CATEGORY_SIMILARITY


def category_similarity(engine: SearchEngine | None, category: Category | None) -> dict[str, float]:
    """Each case study's best-passage similarity to the category's label and terms."""
    if engine is None or category is None or len(category.code) == 2:
        return {}
    from search.engine import SearchQuery

    text = f"{category.label}: " + ", ".join(category.terms)
    res = engine.search(SearchQuery(text=text, mode="semantic", per_page=CONSIDERED))
    return {h.id: float(h.why.get("semantic_similarity") or 0.0) for h in res.hits}


def _related(cs: CaseStudyView, divisions: set[str]) -> bool:
    return cs.scope != "cross-cutting" and bool(divisions & set(cs.cpv))


def _rank_case_studies(
    recs: list[Recommendation],
    kind: KindMatch,
    outcome_slugs: set[str],
    req: ProcurementRequest,
    catalogue: Catalogue,
) -> list[PlanCaseStudy]:
    tax = catalogue.taxonomy
    out: list[PlanCaseStudy] = []
    for rec in recs:
        cs = rec.case_study
        about = kind(cs)
        category = kind.category
        asks = [a for a in cs.asks if a.get("outcome") in outcome_slugs]
        score = rec.score + (0.6 if about else 0.0) + 0.15 * min(3, len(asks))
        reasons = list(rec.reasons)
        if about and category is not None:
            reasons.insert(
                0, Reason("category", f"About the same kind of contract: {category.label}")
            )
            reasons = [
                r
                for r in reasons
                if not (r.kind == "category" and r.text.startswith("Same category"))
            ]
        if asks:
            labels = list(dict.fromkeys(tax.outcomes.label(a["outcome"]) for a in asks))
            reasons.append(
                Reason(
                    "ask",
                    "Its contract required " + "; ".join(labels[:3]).lower()
                    if len(labels) > 1
                    else f"Its contract required {labels[0][0].lower() + labels[0][1:]}",
                    list(dict.fromkeys(a["outcome"] for a in asks)),
                )
            )
        if req.buyer_type and cs.organisation_type == req.buyer_type:
            reasons.append(
                Reason(
                    "buyer",
                    f"Same type of buyer: {tax.organisation_types.label(req.buyer_type)}",
                    [req.buyer_type],
                )
            )
        # a copy: the plan ranks the same recommendations twice (provisional, then final)
        out.append(PlanCaseStudy(replace(rec, reasons=reasons), about, score))
    out.sort(key=lambda c: (-c.score, c.case_study.slug))
    return out


# Outcomes.


class _Candidates:
    """Candidate outcomes with their priority and the reasons each is proposed."""

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}
        self.why: dict[str, list[str]] = {}

    def add(self, slug: str, points: float, reason: str | None = None) -> None:
        self.scores[slug] = self.scores.get(slug, 0.0) + points
        if reason:
            self.why.setdefault(slug, []).append(reason)


def _serve_priorities(
    c: _Candidates,
    guide: PlanGuide,
    catalogue: Catalogue,
    themes: list[str],
    top: list[PlanCaseStudy],
) -> None:
    """Raise candidates under the council's priority themes; a priority theme no candidate
    serves gets the outcome under it that similar buyers delivered most, so that the
    council's priorities are never silently dropped."""
    tax = catalogue.taxonomy
    for slug in list(c.scores):
        shared = [t for t in themes if t in tax.outcomes.terms[slug].themes]
        if shared:
            c.add(slug, PRIORITY_WEIGHT, f"One of your priorities: {tax.themes.label(shared[0])}.")
    for theme in themes:
        if any(theme in tax.outcomes.terms[s].themes for s in c.scores):
            continue
        counts: dict[str, int] = {}
        for cs in (p.case_study for p in top):
            for o in cs.outcomes:
                if theme in tax.outcomes.terms[o].themes and not _is_buyer_only(guide, o):
                    counts[o] = counts.get(o, 0) + 1
        if counts:
            best = max(sorted(counts), key=lambda o: counts[o])
            c.add(best, PRIORITY_WEIGHT, f"One of your priorities: {tax.themes.label(theme)}.")


def _score_outcomes(
    guide: PlanGuide,
    catalogue: Catalogue,
    read: ReadProcurement,
    ranked: list[PlanCaseStudy],
) -> dict[str, tuple[float, list[str]]]:
    """Each candidate outcome's priority and the reasons it is proposed."""
    c = _Candidates()
    if read.category is not None:
        for rank, opp in enumerate(read.category.opportunities):
            c.add(opp.outcome, MAP_WEIGHT - MAP_RANK_STEP * rank, opp.why)
    for slug, phrase in read.needs.items():
        c.add(slug, TEXT_WEIGHT, f"Your description asks for it (“{phrase}”).")
    themes = [t for t in read.request.themes if t in catalogue.taxonomy.themes]
    top = ranked[:10]
    _serve_priorities(c, guide, catalogue, themes, top)
    if not c.scores:  # nothing from the map, the words or the priorities: what similar buyers did
        for rank, p in enumerate(ranked[:5]):
            for o in p.case_study.outcomes:
                c.add(o, 1.0 / (1 + rank))
    for slug in list(c.scores):
        users = [p.case_study for p in top if slug in p.case_study.outcomes]
        if users:
            c.add(slug, EVIDENCE_WEIGHT * min(3, len(users)))
            if slug not in c.why:
                names = ", ".join(cs.organisation for cs in users[:2])
                c.why[slug] = [f"Similar buyers delivered it ({names})."]
    return {s: (c.scores[s], c.why.get(s, [])) for s in c.scores}


def _evidence_for(
    slug: str, catalogue: Catalogue, kind: KindMatch, ranked_slugs: list[str]
) -> list[EvidenceAsk]:
    found: list[tuple[tuple[int, int, int, str], EvidenceAsk]] = []
    position = {s: i for i, s in enumerate(ranked_slugs)}
    for cs in catalogue.case_studies.values():
        for ask in cs.asks:
            if ask.get("outcome") != slug:
                continue
            same = kind(cs)
            key = (
                0 if same else 1,
                position.get(cs.slug, len(position) + 1),
                _STATUS_ORDER.get(str(ask.get("status")), 9),
                cs.slug,
            )
            found.append((key, EvidenceAsk(cs, ask, same)))
    found.sort(key=lambda kv: kv[0])
    out: list[EvidenceAsk] = []
    seen: set[str] = set()
    for _, ev in found:  # one record per case study, so three buyers rather than one
        if ev.case_study.slug in seen:
            continue
        seen.add(ev.case_study.slug)
        out.append(ev)
        if len(out) == EVIDENCE_PER_OUTCOME:
            break
    return out


def _weighting(
    rules: list[Rule],
    ranked: list[PlanCaseStudy],
    catalogue: Catalogue,
    kind: KindMatch,
) -> Weighting:
    minimum_rule = max(
        (r for r in rules if r.min_weighting_percent is not None),
        key=lambda r: r.min_weighting_percent or 0.0,
        default=None,
    )
    similar: list[tuple[CaseStudyView, dict[str, Any]]] = []
    candidates = [c.case_study for c in ranked[:CONSIDERED]]
    candidates += sorted(
        (cs for cs in catalogue.case_studies.values() if kind(cs)), key=lambda c: c.slug
    )
    seen: set[str] = set()
    for cs in candidates:
        if cs.slug in seen or not cs.weighting:
            continue
        seen.add(cs.slug)
        similar.append((cs, cs.weighting))
        if len(similar) == 4:
            break
    return Weighting(
        minimum_rule.min_weighting_percent if minimum_rule else None, minimum_rule, similar
    )


def _match(
    read: ReadProcurement, ranked: list[PlanCaseStudy], catalogue: Catalogue, kind: KindMatch
) -> tuple[str, str]:
    category = read.category
    if category is None:
        label = "this kind of contract"
    elif read.broad:
        label = f"this kind of contract (CPV {read.request.cpv[0]})"
    else:
        label = category.label.lower()
    about = [c for c in ranked if c.about]
    if about:
        n = len(about)
        return "close", (
            f"{n} of the case studies below {'is' if n == 1 else 'are'} about {label} contracts."
        )
    about_all = [cs.slug for cs in catalogue.case_studies.values() if kind(cs)]
    if about_all:  # about it, but not ranked for this text: still a close match
        n = len(about_all)
        return (
            "close",
            f"{n} case {'study is' if n == 1 else 'studies are'} about {label} contracts.",
        )
    divisions = set(read.request.divisions) | ({category.code[:2]} if category else set())

    def related(c: PlanCaseStudy) -> bool:
        if c.case_study.scope == "cross-cutting":
            return False
        sim = c.recommendation.similarity
        if sim is not None and sim >= RELATED_SIMILARITY:
            return True
        # a contract in the same CPV division is a related contract, by the CPV's own grouping
        return _related(c.case_study, divisions)

    source = (
        "the category guidance for this kind of contract"
        if category and not read.broad
        else "the guidance for its wider category and national guidance"
        if category
        else "your description and national guidance"
    )
    if any(related(c) for c in ranked):
        return "partial", (
            f"No case study in the library is about {label}; the outcomes come from {source}, "
            "and the case studies below show practice that transfers from related contracts."
        )
    return "none", (
        f"No case study in the library is about {label} or a closely related contract; the "
        f"outcomes come from {source}, not from another buyer's contract. "
        "If you know of one, suggest it."
    )


def make_plan(
    guide: PlanGuide,
    catalogue: Catalogue,
    engine: SearchEngine | None,
    req: ProcurementRequest,
    *,
    mode: str = "hybrid",
    case_studies: int = CASE_STUDIES,
) -> Plan:
    """The plan for one procurement. `engine` may be None (ranking by fields alone)."""
    read = read_procurement(guide, catalogue, req)
    tax = catalogue.taxonomy
    rec_req = req
    if read.category is not None and not req.cpv:
        # a category found from the words counts as the notice's main CPV division
        rec_req = ProcurementRequest(**{**req.__dict__, "cpv": [read.category.code[:2]]})
    recs = recommend(engine, catalogue, rec_req, limit=CONSIDERED, mode=mode)
    kind = KindMatch(
        read.category,
        read.broad,
        {r.case_study.slug: r.similarity for r in recs.items},
        category_similarity(engine, read.category),
    )
    provisional = _rank_case_studies(recs.items, kind, set(), req, catalogue)
    scored = _score_outcomes(guide, catalogue, read, provisional)
    notes: list[str] = []
    months = req.duration_months
    candidates: list[tuple[float, str, list[str]]] = []
    for slug, (score, why) in scored.items():
        if _is_buyer_only(guide, slug):
            continue
        g = guide.outcomes.get(slug)
        if g and g.min_duration_months and months is not None and months < g.min_duration_months:
            notes.append(
                f"{tax.outcomes.label(slug)} is left out: it needs at least "
                f"{g.min_duration_months} months and this contract runs {months}."
            )
            continue
        candidates.append((score, slug, why))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    n = read.band.outcomes if read.band else DEFAULT_OUTCOMES
    chosen = candidates[:n]
    outcome_slugs = {slug for _, slug, _ in chosen}
    ranked = _rank_case_studies(recs.items, kind, outcome_slugs, req, catalogue)
    ranked_slugs = [c.case_study.slug for c in ranked]
    outcomes = []
    for score, slug, why in chosen:
        g = guide.outcomes.get(slug)
        ask = (g.plan if read.ask == "plan" else g.commitment) if g else ""
        outcomes.append(
            PlanOutcome(
                slug,
                tax.outcomes.label(slug),
                why,
                g,
                ask,
                _evidence_for(slug, catalogue, kind, ranked_slugs),
                score,
            )
        )
    buyer_notes = []
    for slug in read.buyer_needs:
        g = guide.outcomes.get(slug)
        buyer_notes.append(
            (
                slug,
                tax.outcomes.label(slug),
                g.buyer_note
                if g and g.buyer_note
                else "Only the buyer can do this; it is not something to ask of a supplier.",
            )
        )
    rules = [
        r for r in guide.rules if r.applies(req.region, req.buyer_type, read.kind, req.value_gbp)
    ]
    if req.region is None and any(r.regions for r in guide.rules):
        notes.append("Give the region to see the rules of Scotland, Wales and Northern Ireland.")
    level, message = _match(read, ranked, catalogue, kind)
    shown = ranked[:case_studies]
    return Plan(
        procurement=read,
        match_level=level,
        match_message=message,
        outcomes=outcomes,
        buyer_notes=buyer_notes,
        rules=rules,
        proportionality=read.proportionality,
        weighting=_weighting(rules, ranked, catalogue, kind),
        case_studies=shown,
        mode=recs.mode,
        notes=notes,
    )
