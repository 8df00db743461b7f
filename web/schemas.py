"""Request and response models of the JSON API: the contract shown in /docs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    status: int
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Years(BaseModel):
    start: int | None = None
    end: int | None = None


class SearchResult(BaseModel):
    slug: str
    url: str
    title: str
    organisation: str = ""
    summary: str = ""
    region: list[str] = []
    years: Years
    themes: list[str] = []
    outcomes: list[str] = []
    evidence: list[str] = []
    score: float
    snippet_html: str = Field(
        description="Escaped text of the best passage; query terms in <mark>."
    )
    snippet_heading: str = ""
    matched: dict[str, list[str]] = {}
    why: dict[str, Any] = {}
    close: bool = Field(
        True, description="Whether it matches the query closely (ranked before the rest)."
    )


class SearchResponse(BaseModel):
    query: dict[str, Any]
    total: int
    close_total: int = Field(
        0,
        description="How many of the total match the query closely (all of them without a query).",
    )
    page: int
    per_page: int
    took_ms: float
    facets: dict[str, dict[str, int]]
    results: list[SearchResult]


class Source(BaseModel):
    title: str
    url: str
    type: str


class Procurement(BaseModel):
    scope: str
    cpv: list[str]
    value_gbp: int | None = None
    stages: list[str]


class ContractAsk(BaseModel):
    outcome: str
    requirement: str
    measure: str | None = None
    target: str | None = None
    result: str | None = None
    status: str
    source: str


class Weighting(BaseModel):
    social_value_percent: float
    note: str | None = None
    source: str


class ContractEvidence(BaseModel):
    """What the contract asked of its supplier and what came of it, as its sources state."""

    weighting: Weighting | None = None
    asks: list[ContractAsk] = []


class CaseStudySummary(BaseModel):
    slug: str
    url: str
    title: str
    organisation: str
    organisation_type: str
    region: list[str]
    years: Years
    summary: str
    themes: list[str]
    outcomes: list[str]
    procurement: Procurement
    evidence: str
    sources: list[Source]
    last_reviewed: str
    #: when it was first published in this library, if the file says
    added: str | None = None
    contract_evidence: ContractEvidence | None = None


class CaseStudyDetail(CaseStudySummary):
    markdown: str
    html: str


class CaseStudyList(BaseModel):
    total: int
    page: int
    per_page: int
    results: list[CaseStudySummary]


class SimilarResponse(BaseModel):
    slug: str
    results: list[SearchResult]


class RecommendRequest(BaseModel):
    """Simple fields; alternatively send an OCDS release, record, package or tender object."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=300)
    description: str = Field("", max_length=5000)
    cpv: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="CPV codes (e.g. 90511000-2) or two-digit divisions (e.g. 90).",
    )
    value: int | None = Field(None, ge=0, le=10**12, description="Estimated value in pounds.")
    region: str | None = Field(None, max_length=80, description="A region slug, e.g. north-east.")
    themes: list[str] = Field(default_factory=list, max_length=8)
    limit: int = Field(5, ge=1, le=20)
    mode: str = Field("hybrid", pattern="^(hybrid|keyword|semantic)$")


class Reason(BaseModel):
    kind: str
    text: str
    values: list[str] = []


class RecommendedCaseStudy(BaseModel):
    slug: str
    url: str
    title: str
    organisation: str
    summary: str
    region: list[str]
    years: Years
    evidence: str
    themes: list[str]
    outcomes: list[str]
    score: float
    snippet_html: str
    reasons: list[Reason]


class SuggestedOutcome(BaseModel):
    slug: str
    label: str
    description: str
    case_studies: list[str]


class Approach(BaseModel):
    slug: str
    title: str
    text: str


class RecommendResponse(BaseModel):
    mode: str
    request: dict[str, Any]
    recommendations: list[RecommendedCaseStudy]
    suggested_outcomes: list[SuggestedOutcome]
    approaches: list[Approach]


class EncoderStatus(BaseModel):
    configured: str | None = Field(description="KB_ENCODER: onnx or torch")
    in_use: str | None = Field(description="the query encoder serving searches: onnx or torch")
    fallback: str | None = Field(description="why it is not the configured one, if it is not")


class Health(BaseModel):
    status: str = Field(description="ok or degraded")
    ready: bool = Field(description="index and database loaded, and still on disk")
    problems: list[str]
    on_disk: dict[str, bool] = Field(
        description="whether the served index and database files exist"
    )
    index_loaded: bool
    database_loaded: bool
    case_studies: int
    indexed_documents: int
    model: str | None
    encoder: EncoderStatus
    build_id: str | None
    built_at: str | None
    content_hash: str | None


class PlanRequest(BaseModel):
    """Simple fields; alternatively send an OCDS release, record, package or tender object
    (with optional top-level `themes` and `buyer_type`, which OCDS has no field for)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=300)
    description: str = Field("", max_length=5000)
    cpv: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="CPV codes (e.g. 90511000-2) or two-digit divisions (e.g. 90); main code first.",
    )
    value: int | str | None = Field(
        None,
        description="Estimated value in pounds: a number, or text such as '2m', '£2,000,000' or "
        "'2.5 million'.",
    )
    duration_months: int | None = Field(None, ge=1, le=600, description="Contract length.")
    region: str | None = Field(None, max_length=80, description="A region slug, e.g. scotland.")
    buyer_type: str | None = Field(
        None, max_length=80, description="An organisation type slug, e.g. local-authority."
    )
    themes: list[str] = Field(default_factory=list, max_length=8)
    mode: str = Field("hybrid", pattern="^(hybrid|keyword|semantic)$")


class PlanMeasure(BaseModel):
    what: str
    unit: str
    evidence: str


class PlanEvidence(BaseModel):
    case_study: str
    title: str
    organisation: str
    requirement: str | None = None
    measure: str | None = None
    target: str | None = None
    result: str | None = None
    status: str | None = None
    source: str | None = None
    same_category: bool


class PlanModelOutcome(BaseModel):
    name: str
    source: str


class PlanOutcome(BaseModel):
    slug: str
    label: str
    why: list[str]
    question: str | None
    ask: str
    measures: list[PlanMeasure]
    model_outcome: PlanModelOutcome | None = None
    sources: list[str]
    evidence: list[PlanEvidence]


class PlanMatch(BaseModel):
    level: str = Field(description="close, partial or none")
    message: str


class PlanRule(BaseModel):
    slug: str
    title: str
    says: str
    source: str
    min_weighting_percent: float | None = None


class PlanSimilarWeighting(BaseModel):
    case_study: str
    title: str
    organisation: str
    social_value_percent: float | None = None
    note: str | None = None
    source: str | None = None


class PlanWeighting(BaseModel):
    national_minimum_percent: float | None
    national_minimum_source: str | None
    similar_buyers: list[PlanSimilarWeighting]


class PlanBuyerNote(BaseModel):
    slug: str
    label: str
    note: str


class PlanCaseStudy(RecommendedCaseStudy):
    about_this_kind_of_contract: bool


class PlanResponse(BaseModel):
    procurement: dict[str, Any] = Field(
        description="How the procurement was read: category, value band, region, detected needs."
    )
    match: PlanMatch
    proportionality: str
    outcomes: list[PlanOutcome]
    for_the_buyer: list[PlanBuyerNote]
    rules: list[PlanRule]
    weighting: PlanWeighting
    case_studies: list[PlanCaseStudy]
    notes: list[str]
    mode: str
    links: dict[str, str] = Field(description="The plan as a page, Markdown and a Word file.")
