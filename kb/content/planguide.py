"""The plan's guidance in content/plan/: the procurement knowledge map, outcome guidance, rules.

A social value plan is written from these three files (format: docs/plan-content-format.md), so
that the outcomes it proposes come from the kind of contract and sourced guidance, never only
from the tags of whichever case studies happened to rank first. Like case studies, the files are
checked with positions (`kb validate`), and a broken file is refused as a whole.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from kb.content.files import UnsafeFile, read_limited
from kb.content.frontmatter import FrontMatterError, ParsedFile, parse_yaml
from kb.content.report import Problem
from kb.content.taxonomy import Taxonomy

FILES = ("categories.yaml", "outcomes.yaml", "rules.yaml")
MAX_FILE_BYTES = 256 * 1024
MAX_NODES = 40_000

_CASE_SOURCE = re.compile(r"^case-study:([a-z0-9]+(?:-[a-z0-9]+)*)$")
_URL = re.compile(r"^https://[^\s<>\"']+$")

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpportunityIn(_Model):
    outcome: Text
    why: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=200)]
    sources: list[Source] = Field(min_length=1, max_length=8)


class CategoryIn(_Model):
    code: Annotated[str, StringConstraints(pattern=r"^\d{2,8}$")]
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
    kind: Literal["goods", "services", "works"]
    terms: list[Annotated[str, StringConstraints(min_length=2, max_length=60)]] = Field(
        default_factory=list, max_length=20
    )
    opportunities: list[OpportunityIn] = Field(min_length=2, max_length=8)


class CategoriesFile(_Model):
    categories: list[CategoryIn] = Field(min_length=1, max_length=500)


class MeasureIn(_Model):
    what: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=200)]
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    evidence: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=300)]


class AsksIn(_Model):
    commitment: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=400)
    ]
    plan: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=500)]


class ModelOutcomeIn(_Model):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=300)]
    source: Source


class OutcomeGuideIn(_Model):
    question: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=40, max_length=600)
    ]
    measures: list[MeasureIn] = Field(min_length=1, max_length=3)
    asks: AsksIn
    model_outcome: ModelOutcomeIn | None = None
    buyer_only: bool = False
    buyer_note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=400)] = ""
    min_duration_months: int | None = Field(None, ge=1, le=120)
    sources: list[Source] = Field(min_length=1, max_length=10)


class OutcomesFile(_Model):
    outcomes: dict[str, OutcomeGuideIn]


class BandIn(_Model):
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=80)]
    max_value: int | None = Field(None, ge=1)
    outcomes: int = Field(ge=1, le=8)
    ask: Literal["commitment", "plan"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=400)] = ""


class AppliesIn(_Model):
    regions: list[str] = Field(default_factory=list, max_length=20)
    buyer_types: list[str] = Field(default_factory=list, max_length=20)
    kinds: list[Literal["goods", "services", "works"]] = Field(default_factory=list)
    min_value: int | None = Field(None, ge=0)


class RuleIn(_Model):
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=200)]
    applies: AppliesIn = Field(default_factory=AppliesIn)
    says: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=600)]
    min_weighting_percent: float | None = Field(None, ge=0, le=100)
    source: Source


class RulesFile(_Model):
    bands: list[BandIn] = Field(min_length=1, max_length=10)
    rules: list[RuleIn] = Field(default_factory=list, max_length=100)


# The records the plan works with.


@dataclass(frozen=True)
class Opportunity:
    outcome: str
    why: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    kind: str
    terms: tuple[str, ...]
    opportunities: tuple[Opportunity, ...]


@dataclass(frozen=True)
class Measure:
    what: str
    unit: str
    evidence: str


@dataclass(frozen=True)
class OutcomeGuide:
    slug: str
    question: str
    measures: tuple[Measure, ...]
    commitment: str
    plan: str
    sources: tuple[str, ...]
    model_outcome: str = ""
    model_outcome_source: str = ""
    buyer_only: bool = False
    buyer_note: str = ""
    min_duration_months: int | None = None


@dataclass(frozen=True)
class Band:
    slug: str
    label: str
    max_value: int | None
    outcomes: int
    ask: str
    note: str


@dataclass(frozen=True)
class Rule:
    slug: str
    title: str
    says: str
    source: str
    regions: tuple[str, ...] = ()
    buyer_types: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_value: int | None = None
    min_weighting_percent: float | None = None

    def applies(
        self, region: str | None, buyer_type: str | None, kind: str | None, value: int | None
    ) -> bool:
        """Every condition the rule states must hold; an unknown fact fails a condition on it."""
        if self.regions and region not in self.regions:
            return False
        if self.buyer_types and buyer_type not in self.buyer_types:
            return False
        if self.kinds and kind not in self.kinds:
            return False
        return self.min_value is None or (value is not None and value >= self.min_value)


@dataclass
class PlanGuide:
    categories: dict[str, Category]
    outcomes: dict[str, OutcomeGuide]
    bands: list[Band]
    rules: list[Rule]
    _by_length: list[Category] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._by_length = sorted(self.categories.values(), key=lambda c: -len(c.code))

    def category_for_code(self, code: str) -> Category | None:
        """The category with the longest code prefix matching a CPV code ('90511000-2').

        Category codes are a CPV code's significant digits (9091 is the class 90910000 and
        everything under it, 90911000 included), so a plain prefix match follows the hierarchy.
        """
        digits = re.sub(r"\D", "", code.split("-")[0])
        for cat in self._by_length:
            if digits.startswith(cat.code):
                return cat
        return None

    def band_for(self, value: int | None) -> Band | None:
        if value is None:
            return None
        for band in self.bands:
            if band.max_value is None or value < band.max_value:
                return band
        return self.bands[-1]


class PlanGuideInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]))


def _problem(path: Path, parsed: ParsedFile | None, loc: tuple[Any, ...], msg: str) -> Problem:
    line, col = parsed.position(loc) if parsed else (1, 1)
    return Problem(str(path), line, col, "error", msg, "plan-guide")


def _read(path: Path, problems: list[Problem]) -> ParsedFile | None:
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
        if len(raw) > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    str(path), 1, 1, "error", f"file is over {MAX_FILE_BYTES // 1024} KiB", "size"
                )
            )
            return None
        parsed = parse_yaml(raw.decode("utf-8"), max_nodes=MAX_NODES)
    except UnsafeFile as exc:
        problems.append(Problem(str(path), 1, 1, "error", str(exc), "unreadable"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(str(path), 1, 1, "error", "file is not UTF-8", "encoding"))
        return None
    except FrontMatterError as exc:
        problems.append(Problem(str(path), exc.line, exc.column, "error", exc.message, "yaml"))
        return None
    for key_path, line, col in parsed.duplicate_keys:
        problems.append(
            Problem(str(path), line, col, "error", f"duplicate key '{key_path[-1]}'", "yaml")
        )
    if not isinstance(parsed.data, dict):
        problems.append(Problem(str(path), 1, 1, "error", "must be a YAML mapping", "yaml"))
        return None
    return parsed


def _model(path: Path, parsed: ParsedFile, cls: type[_Model], problems: list[Problem]) -> Any:
    try:
        return cls.model_validate(parsed.data)
    except ValidationError as exc:
        for err in exc.errors()[:50]:
            where = ".".join(str(p) for p in err["loc"])
            problems.append(_problem(path, parsed, tuple(err["loc"]), f"{where}: {err['msg']}"))
        return None


class _SourceCheck:
    def __init__(self, case_slugs: set[str] | None):
        self.case_slugs = case_slugs

    def __call__(self, source: str) -> str | None:
        """A message for a bad source, or None."""
        m = _CASE_SOURCE.match(source)
        if m:
            if self.case_slugs is not None and m.group(1) not in self.case_slugs:
                return f"no case study '{m.group(1)}' in content/casestudies"
            return None
        if not _URL.match(source):
            return f"source '{source[:80]}' must be an https:// URL or case-study:<slug>"
        return None


def _check_categories(
    path: Path,
    parsed: ParsedFile,
    data: CategoriesFile,
    taxonomy: Taxonomy,
    check_source: _SourceCheck,
    problems: list[Problem],
) -> None:
    seen: set[str] = set()
    for i, cat in enumerate(data.categories):
        if cat.code in seen:
            problems.append(
                _problem(path, parsed, ("categories", i, "code"), f"duplicate code {cat.code}")
            )
        seen.add(cat.code)
        for j, opp in enumerate(cat.opportunities):
            loc = ("categories", i, "opportunities", j)
            if opp.outcome not in taxonomy.outcomes:
                hint = taxonomy.outcomes.suggest(opp.outcome)
                problems.append(
                    _problem(
                        path,
                        parsed,
                        (*loc, "outcome"),
                        f"unknown outcome '{opp.outcome}'"
                        + (f" (did you mean {', '.join(hint)}?)" if hint else ""),
                    )
                )
            for k, src in enumerate(opp.sources):
                msg = check_source(src)
                if msg:
                    problems.append(_problem(path, parsed, (*loc, "sources", k), msg))


def _check_outcomes(
    path: Path,
    parsed: ParsedFile,
    data: OutcomesFile,
    taxonomy: Taxonomy,
    check_source: _SourceCheck,
    problems: list[Problem],
) -> None:
    for slug, guide in data.outcomes.items():
        if slug not in taxonomy.outcomes:
            problems.append(_problem(path, parsed, ("outcomes", slug), f"unknown outcome '{slug}'"))
        if guide.buyer_only and not guide.buyer_note:
            problems.append(
                _problem(
                    path,
                    parsed,
                    ("outcomes", slug, "buyer_only"),
                    "a buyer-only outcome needs a buyer_note saying what the buyer can do",
                )
            )
        sources = [*guide.sources, *([guide.model_outcome.source] if guide.model_outcome else [])]
        for k, src in enumerate(sources):
            msg = check_source(src)
            if msg:
                problems.append(_problem(path, parsed, ("outcomes", slug, "sources", k), msg))
    missing = [o.slug for o in taxonomy.outcomes if o.slug not in data.outcomes]
    if missing:
        problems.append(
            _problem(
                path,
                parsed,
                ("outcomes",),
                "every taxonomy outcome needs guidance; missing: " + ", ".join(missing),
            )
        )


def _check_rules(
    path: Path,
    parsed: ParsedFile,
    data: RulesFile,
    taxonomy: Taxonomy,
    check_source: _SourceCheck,
    problems: list[Problem],
) -> None:
    previous = 0
    for i, band in enumerate(data.bands):
        last = i == len(data.bands) - 1
        if (band.max_value is None) != last:
            problems.append(
                _problem(
                    path,
                    parsed,
                    ("bands", i, "max_value"),
                    "every band but the last needs a max_value; the last has none",
                )
            )
        elif band.max_value is not None and band.max_value <= previous:
            problems.append(
                _problem(path, parsed, ("bands", i, "max_value"), "bands must rise in value")
            )
        previous = band.max_value or previous
    for i, rule in enumerate(data.rules):
        for name, vocab in (
            ("regions", taxonomy.regions),
            ("buyer_types", taxonomy.organisation_types),
        ):
            for k, slug in enumerate(getattr(rule.applies, name)):
                if slug not in vocab:
                    problems.append(
                        _problem(
                            path,
                            parsed,
                            ("rules", i, "applies", name, k),
                            f"unknown {name[:-1].replace('_', ' ')} '{slug}'",
                        )
                    )
        msg = check_source(rule.source)
        if msg:
            problems.append(_problem(path, parsed, ("rules", i, "source"), msg))


def check_plan_guide(
    plan_dir: Path, taxonomy: Taxonomy, case_slugs: set[str] | None = None
) -> tuple[PlanGuide | None, list[Problem]]:
    """Read and check content/plan/; the guide is None when any file has an error."""
    problems: list[Problem] = []
    check_source = _SourceCheck(case_slugs)
    parsed_models: dict[str, Any] = {}
    checks: dict[str, tuple[type[_Model], Callable[..., None]]] = {
        "categories.yaml": (CategoriesFile, _check_categories),
        "outcomes.yaml": (OutcomesFile, _check_outcomes),
        "rules.yaml": (RulesFile, _check_rules),
    }
    for name, (cls, check) in checks.items():
        path = plan_dir / name
        parsed = _read(path, problems)
        if parsed is None:
            continue
        data = _model(path, parsed, cls, problems)
        if data is not None:
            check(path, parsed, data, taxonomy, check_source, problems)
            parsed_models[name] = data
    if problems or len(parsed_models) != len(checks):
        return None, problems
    return _build(parsed_models), problems


def _build(models: dict[str, Any]) -> PlanGuide:
    cats: CategoriesFile = models["categories.yaml"]
    outs: OutcomesFile = models["outcomes.yaml"]
    rules: RulesFile = models["rules.yaml"]
    return PlanGuide(
        categories={
            c.code: Category(
                c.code,
                c.label,
                c.kind,
                tuple(t.lower() for t in c.terms),
                tuple(Opportunity(o.outcome, o.why, tuple(o.sources)) for o in c.opportunities),
            )
            for c in cats.categories
        },
        outcomes={
            slug: OutcomeGuide(
                slug=slug,
                question=g.question,
                measures=tuple(Measure(m.what, m.unit, m.evidence) for m in g.measures),
                commitment=g.asks.commitment,
                plan=g.asks.plan,
                sources=tuple(g.sources),
                model_outcome=g.model_outcome.name if g.model_outcome else "",
                model_outcome_source=g.model_outcome.source if g.model_outcome else "",
                buyer_only=g.buyer_only,
                buyer_note=g.buyer_note,
                min_duration_months=g.min_duration_months,
            )
            for slug, g in outs.outcomes.items()
        },
        bands=[Band(b.slug, b.label, b.max_value, b.outcomes, b.ask, b.note) for b in rules.bands],
        rules=[
            Rule(
                slug=r.slug,
                title=r.title,
                says=r.says,
                source=r.source,
                regions=tuple(r.applies.regions),
                buyer_types=tuple(r.applies.buyer_types),
                kinds=tuple(r.applies.kinds),
                min_value=r.applies.min_value,
                min_weighting_percent=r.min_weighting_percent,
            )
            for r in rules.rules
        ],
    )


def load_plan_guide(
    plan_dir: Path, taxonomy: Taxonomy, case_slugs: set[str] | None = None
) -> PlanGuide:
    guide, problems = check_plan_guide(plan_dir, taxonomy, case_slugs)
    if guide is None:
        raise PlanGuideInvalid(problems)
    return guide


class PlanGuideCache:
    """The guide for a server: read once, read again when a file in content/plan/ changes.

    A file that turns bad after a good read keeps the last good guide serving (and the error
    is reported by `error`), as the index does after a failed build.
    """

    def __init__(self, plan_dir: Path):
        self.plan_dir = plan_dir
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._guide: PlanGuide | None = None
        self.error: str | None = None

    def _stamp(self, taxonomy: Taxonomy) -> tuple[Any, ...]:
        stats: list[tuple[int, int] | None] = []
        for name in FILES:
            try:
                st = (self.plan_dir / name).stat()
                stats.append((st.st_mtime_ns, st.st_size))
            except OSError:
                stats.append(None)
        return (id(taxonomy), *stats)

    def get(self, taxonomy: Taxonomy) -> PlanGuide | None:
        key = self._stamp(taxonomy)
        with self._lock:
            if key != self._key:
                self._key = key
                guide, problems = check_plan_guide(self.plan_dir, taxonomy)
                if guide is not None:
                    self._guide, self.error = guide, None
                else:
                    self.error = "; ".join(str(p) for p in problems[:3]) or "no guidance"
            return self._guide
