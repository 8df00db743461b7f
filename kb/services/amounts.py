"""Contract values as officers type them: "250000", "£250,000", "2m", "2.5 million", "£1.2bn"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from kb.content.rules import MAX_VALUE_GBP

_SCALE = {
    "": 1,
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
_AMOUNT = re.compile(
    r"^(?:gbp|£)?\s*(\d+(?:[,\s]\d{3})*(?:\.\d+)?|\d*\.\d+)\s*([a-z]*)\.?\s*(?:gbp|pounds)?$"
)

HINT = "like 250000, £250,000, 2m or 2.5 million"


class AmountError(ValueError):
    pass


def parse_pounds(text: str) -> int:
    """Whole pounds from a typed value; raises AmountError with a plain message."""
    cleaned = " ".join(text.strip().lower().replace("\u00a3", "£").split())
    cleaned = re.sub(
        r"\s*(?:ex(?:cl(?:uding)?)?\.?\s*vat|inc(?:l(?:uding)?)?\.?\s*vat)$", "", cleaned
    )
    m = _AMOUNT.match(cleaned)
    if not m or m.group(2) not in _SCALE:
        raise AmountError(f"Enter the value in pounds, {HINT}")
    try:
        amount = Decimal(re.sub(r"[,\s]", "", m.group(1))) * _SCALE[m.group(2)]
    except InvalidOperation as exc:
        raise AmountError(f"Enter the value in pounds, {HINT}") from exc
    if amount > MAX_VALUE_GBP:
        raise AmountError(f"The value must be £{MAX_VALUE_GBP:,} or less")
    return int(amount)


def format_pounds(value: int) -> str:
    """£2.5 million, £250,000: how a plan states a value."""
    if value >= 1_000_000_000 and value % 10_000_000 == 0:
        return f"£{value / 1_000_000_000:g} billion"
    if value >= 1_000_000 and value % 10_000 == 0:
        return f"£{value / 1_000_000:g} million"
    return f"£{value:,}"
