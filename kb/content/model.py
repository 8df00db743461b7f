"""The case-study content model: front matter fields and the parsed case study."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from kb.content import rules as r

Scope = Literal["contract", "programme", "cross-cutting", "not-procurement"]
AskStatus = Literal["delivered", "in-progress", "commitment", "not-met"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Source(_Strict):
    title: StrictStr = Field(
        min_length=r.SOURCE_TITLE_CHARS.min, max_length=r.SOURCE_TITLE_CHARS.max
    )
    url: StrictStr = Field(max_length=r.URL_MAX_CHARS)
    type: Literal["own", "independent"]


class Years(_Strict):
    start: StrictInt
    end: StrictInt | None = None


class Procurement(_Strict):
    scope: Scope
    cpv: list[StrictStr] = Field(default_factory=list, max_length=r.CPV_DIVISIONS.max)
    value_gbp: StrictInt | None = Field(None, ge=0, le=r.MAX_VALUE_GBP)
    stages: list[StrictStr] = Field(min_length=r.STAGES.min, max_length=r.STAGES.max)


class ContractAsk(_Strict):
    """One thing a contract asked of its supplier, as a source records it."""

    outcome: StrictStr
    requirement: StrictStr = Field(
        min_length=r.ASK_REQUIREMENT_CHARS.min, max_length=r.ASK_REQUIREMENT_CHARS.max
    )
    measure: StrictStr | None = Field(
        None, min_length=r.ASK_MEASURE_CHARS.min, max_length=r.ASK_MEASURE_CHARS.max
    )
    target: StrictStr | None = Field(
        None, min_length=r.ASK_TARGET_CHARS.min, max_length=r.ASK_TARGET_CHARS.max
    )
    result: StrictStr | None = Field(
        None, min_length=r.ASK_RESULT_CHARS.min, max_length=r.ASK_RESULT_CHARS.max
    )
    status: AskStatus
    source: StrictStr = Field(max_length=r.URL_MAX_CHARS)


class Weighting(_Strict):
    """The share of the evaluation given to social value, as a source states it."""

    social_value_percent: float = Field(ge=0, le=100)
    note: StrictStr | None = Field(
        None, min_length=r.WEIGHTING_NOTE_CHARS.min, max_length=r.WEIGHTING_NOTE_CHARS.max
    )
    source: StrictStr = Field(max_length=r.URL_MAX_CHARS)


class ContractEvidence(_Strict):
    """Structured record of what went into the contract and what it delivered."""

    weighting: Weighting | None = None
    asks: list[ContractAsk] = Field(default_factory=list, max_length=r.CONTRACT_ASKS.max)


class FrontMatter(_Strict):
    """Exactly the fields a case study's YAML front matter may have."""

    title: StrictStr = Field(min_length=r.TITLE_CHARS.min, max_length=r.TITLE_CHARS.max)
    organisation: StrictStr = Field(
        min_length=r.ORGANISATION_CHARS.min, max_length=r.ORGANISATION_CHARS.max
    )
    organisation_type: StrictStr
    region: StrictStr | list[StrictStr]
    years: Years
    summary: StrictStr = Field(min_length=r.SUMMARY_CHARS.min, max_length=r.SUMMARY_CHARS.max)
    themes: list[StrictStr] = Field(min_length=r.THEMES.min, max_length=r.THEMES.max)
    outcomes: list[StrictStr] = Field(min_length=r.OUTCOMES.min, max_length=r.OUTCOMES.max)
    procurement: Procurement
    evidence: StrictStr
    sources: list[Source] = Field(min_length=r.SOURCES.min, max_length=r.SOURCES.max)
    last_reviewed: dt.date
    #: when the case study was first published in this library (optional; see the format docs)
    added: dt.date | None = None
    contract_evidence: ContractEvidence | None = None

    @field_validator("last_reviewed", "added", mode="before")
    @classmethod
    def _date_only(cls, value: object) -> object:
        # YAML gives a date for 2026-11-25; refuse numbers, which pydantic would read as timestamps.
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError("must be a date written as YYYY-MM-DD")

    @property
    def regions(self) -> list[str]:
        return [self.region] if isinstance(self.region, str) else list(self.region)


@dataclass
class CaseStudy:
    """A validated case study: front matter, body and where it came from."""

    slug: str
    path: str
    meta: FrontMatter
    body: str
    sections: dict[str, str] = field(default_factory=dict)
    content_hash: str = ""

    @property
    def title(self) -> str:
        return self.meta.title
