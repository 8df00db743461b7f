"""The case-study content model: front matter fields and the parsed case study."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

SCOPES = ("contract", "programme", "cross-cutting", "not-procurement")
SECTION_NAMES = ("Challenge", "Approach", "Outcomes", "Lessons")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Source(_Strict):
    title: StrictStr = Field(min_length=3, max_length=300)
    url: StrictStr = Field(max_length=2000)
    type: Literal["own", "independent"]


class Years(_Strict):
    start: StrictInt
    end: StrictInt | None = None


class Procurement(_Strict):
    scope: Literal["contract", "programme", "cross-cutting", "not-procurement"]
    cpv: list[StrictStr] = Field(default_factory=list, max_length=10)
    value_gbp: StrictInt | None = Field(None, ge=0, le=10**12)
    stages: list[StrictStr] = Field(min_length=1, max_length=5)


ASK_STATUSES = ("delivered", "in-progress", "commitment", "not-met")


class ContractAsk(_Strict):
    """One thing a contract asked of its supplier, as a source records it."""

    outcome: StrictStr
    requirement: StrictStr = Field(min_length=10, max_length=300)
    measure: StrictStr | None = Field(None, min_length=3, max_length=200)
    target: StrictStr | None = Field(None, min_length=1, max_length=200)
    result: StrictStr | None = Field(None, min_length=3, max_length=300)
    status: Literal["delivered", "in-progress", "commitment", "not-met"]
    source: StrictStr = Field(max_length=2000)


class Weighting(_Strict):
    """The share of the evaluation given to social value, as a source states it."""

    social_value_percent: float = Field(ge=0, le=100)
    note: StrictStr | None = Field(None, min_length=3, max_length=300)
    source: StrictStr = Field(max_length=2000)


class ContractEvidence(_Strict):
    """Structured record of what went into the contract and what it delivered."""

    weighting: Weighting | None = None
    asks: list[ContractAsk] = Field(default_factory=list, max_length=12)


class FrontMatter(_Strict):
    """Exactly the fields a case study's YAML front matter may have."""

    title: StrictStr = Field(min_length=10, max_length=160)
    organisation: StrictStr = Field(min_length=2, max_length=160)
    organisation_type: StrictStr
    region: StrictStr | list[StrictStr]
    years: Years
    summary: StrictStr = Field(min_length=40, max_length=600)
    themes: list[StrictStr] = Field(min_length=1, max_length=4)
    outcomes: list[StrictStr] = Field(min_length=1, max_length=8)
    procurement: Procurement
    evidence: StrictStr
    sources: list[Source] = Field(min_length=1, max_length=20)
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
