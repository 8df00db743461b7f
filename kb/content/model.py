"""The case-study content model: front matter fields and the parsed case study."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from kb.content import rules as r

Scope = Literal["contract", "programme", "cross-cutting", "not-procurement"]
AskStatus = Literal["delivered", "in-progress", "commitment", "not-met"]


def _chars(span: r.Span) -> dict[str, int]:
    return {"min_length": span.min, "max_length": span.max}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Source(_Strict):
    title: StrictStr = Field(**_chars(r.SOURCE_TITLE_CHARS))
    url: StrictStr = Field(max_length=r.URL_MAX_CHARS)
    type: Literal["own", "independent"]


class Years(_Strict):
    start: StrictInt
    end: StrictInt | None = None


class Procurement(_Strict):
    scope: Scope
    cpv: list[StrictStr] = Field(default_factory=list, max_length=r.CPV_DIVISIONS.max)
    value_gbp: StrictInt | None = Field(None, ge=0, le=r.MAX_VALUE_GBP)
    stages: list[StrictStr] = Field(**_chars(r.STAGES))


class ContractAsk(_Strict):
    """One thing a contract asked of its supplier, as a source records it."""

    outcome: StrictStr
    requirement: StrictStr = Field(**_chars(r.ASK_REQUIREMENT_CHARS))
    measure: StrictStr | None = Field(None, **_chars(r.ASK_MEASURE_CHARS))
    target: StrictStr | None = Field(None, **_chars(r.ASK_TARGET_CHARS))
    result: StrictStr | None = Field(None, **_chars(r.ASK_RESULT_CHARS))
    status: AskStatus
    source: StrictStr = Field(max_length=r.URL_MAX_CHARS)


class Weighting(_Strict):
    """The share of the evaluation given to social value, as a source states it."""

    social_value_percent: float = Field(ge=0, le=100)
    note: StrictStr | None = Field(None, **_chars(r.WEIGHTING_NOTE_CHARS))
    source: StrictStr = Field(max_length=r.URL_MAX_CHARS)


class ContractEvidence(_Strict):
    """Structured record of what went into the contract and what it delivered."""

    weighting: Weighting | None = None
    asks: list[ContractAsk] = Field(default_factory=list, max_length=r.CONTRACT_ASKS.max)


class FrontMatter(_Strict):
    """Exactly the fields a case study's YAML front matter may have."""

    title: StrictStr = Field(**_chars(r.TITLE_CHARS))
    organisation: StrictStr = Field(**_chars(r.ORGANISATION_CHARS))
    organisation_type: StrictStr
    region: StrictStr | list[StrictStr]
    years: Years
    summary: StrictStr = Field(**_chars(r.SUMMARY_CHARS))
    themes: list[StrictStr] = Field(**_chars(r.THEMES))
    outcomes: list[StrictStr] = Field(**_chars(r.OUTCOMES))
    procurement: Procurement
    evidence: StrictStr
    sources: list[Source] = Field(**_chars(r.SOURCES))
    last_reviewed: dt.date
    contract_evidence: ContractEvidence | None = None

    @field_validator("last_reviewed", mode="before")
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
