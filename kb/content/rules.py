"""The case-study format's limits, in one place.

The content model, the validator, `kb new`, the web form and the tag suggester all read these,
so changing a rule ("at most 4 themes") is one edit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SECTION_NAMES = ("Challenge", "Approach", "Outcomes", "Lessons")
SCOPES = ("contract", "programme", "cross-cutting", "not-procurement")
#: Scopes whose case studies must name at least one CPV division.
SCOPES_NEEDING_CPV = ("contract", "programme")
ASK_STATUSES = ("delivered", "in-progress", "commitment", "not-met")
SOURCE_TYPES = ("own", "independent")


@dataclass(frozen=True)
class Span:
    """An inclusive range of lengths or counts."""

    min: int
    max: int

    def __contains__(self, n: object) -> bool:
        return isinstance(n, int) and self.min <= n <= self.max

    def describe(self, unit: str) -> str:
        return f"between {self.min} and {self.max} {unit}"


TITLE_CHARS = Span(10, 160)
ORGANISATION_CHARS = Span(2, 160)
SUMMARY_CHARS = Span(40, 600)
SUMMARY_MAX_SENTENCES = 3
SOURCE_TITLE_CHARS = Span(3, 300)
URL_MAX_CHARS = 2000
SLUG_CHARS = Span(3, 80)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

THEMES = Span(1, 4)
OUTCOMES = Span(1, 8)
REGIONS = Span(1, 4)
CPV_DIVISIONS = Span(0, 10)
STAGES = Span(1, 5)
SOURCES = Span(1, 20)
CONTRACT_ASKS = Span(0, 12)

ASK_REQUIREMENT_CHARS = Span(10, 300)
ASK_MEASURE_CHARS = Span(3, 200)
ASK_TARGET_CHARS = Span(1, 200)
ASK_RESULT_CHARS = Span(3, 300)
WEIGHTING_NOTE_CHARS = Span(3, 300)

EARLIEST_YEAR = 1990
MAX_VALUE_GBP = 10**12
MAX_FILE_BYTES = 64 * 1024
#: A section of the body, as typed into the web form.
MAX_SECTION_CHARS = 12_000
STALE_AFTER_YEARS = 3
SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
