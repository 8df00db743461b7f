"""Reading a procurement from a form or a query string, for /recommend and /plan alike.

Values come back as typed (to show again), with one plain-English error per field, so a typo in
one field never wipes the others.
"""

from __future__ import annotations

import re
from typing import Any

from kb.content.taxonomy import Taxonomy
from kb.services.amounts import HINT, AmountError, parse_pounds
from kb.services.recommend import ProcurementRequest

MAX_TITLE = 300
MAX_DESCRIPTION = 5000
MAX_CPV_CODES = 20
MAX_MONTHS = 600
CPV_CODE = re.compile(r"^(\d{2}|\d{8})(?:-\d)?$")

FIELDS = ("title", "description", "cpv", "value", "months", "region", "buyer")


def _months(text: str, errors: list[tuple[str, str]]) -> int | None:
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,4})\s*(months?|years?|m|y)?", text.strip().lower())
    if m:
        n = int(m.group(1)) * (12 if (m.group(2) or "").startswith("y") else 1)
        if 1 <= n <= MAX_MONTHS:
            return n
    errors.append(
        ("months", "Contract length must be a number of months, like 36, or years, like 5 years")
    )
    return None


def _cpv(text: str, taxonomy: Taxonomy, errors: list[tuple[str, str]]) -> list[str]:
    codes = [c for c in text.replace(",", " ").split() if c]
    bad = [c for c in codes if not CPV_CODE.match(c)]
    if bad:
        errors.append(
            (
                "cpv",
                f"Enter CPV codes like 90511000 or divisions like 90 (“{bad[0][:20]}” is not one)",
            )
        )
        return []
    unknown = [c for c in codes if c[:2] not in taxonomy.cpv_divisions]
    if unknown:
        errors.append(
            ("cpv", f"There is no CPV division {unknown[0][:2]}: check the code {unknown[0]}")
        )
        return []
    if len(codes) > MAX_CPV_CODES:
        errors.append(("cpv", f"Enter at most {MAX_CPV_CODES} CPV codes"))
        return []
    return codes


def _collect(items: list[tuple[str, str]]) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(FIELDS, "")
    values["themes"] = []
    for k, v in items:
        if k in ("themes", "theme"):
            if v not in values["themes"]:
                values["themes"].append(v)
        elif k in values:
            values[k] = v.strip()
    return values


def read_procurement_form(
    items: list[tuple[str, str]], taxonomy: Taxonomy
) -> tuple[ProcurementRequest, dict[str, Any], list[tuple[str, str]]]:
    """The request, the values to show again and field errors (field id, message)."""
    values = _collect(items)
    errors: list[tuple[str, str]] = []
    if len(values["title"]) > MAX_TITLE:
        errors.append(("title", f"Title must be {MAX_TITLE} characters or fewer"))
    if len(values["description"]) > MAX_DESCRIPTION:
        errors.append(
            ("description", f"Description must be {MAX_DESCRIPTION:,} characters or fewer")
        )
    cpv = _cpv(values["cpv"], taxonomy, errors)
    value = None
    if values["value"]:
        try:
            value = parse_pounds(values["value"][:40])
        except AmountError:
            errors.append(("value", f"Estimated value must be an amount in pounds, {HINT}"))
    months = _months(values["months"][:20], errors)
    if values["region"] and values["region"] not in taxonomy.regions:
        errors.append(("region", "Choose a region from the list"))
    if values["buyer"] and values["buyer"] not in taxonomy.organisation_types:
        errors.append(("buyer", "Choose a type of buyer from the list"))
    unknown = [t for t in values["themes"] if t not in taxonomy.themes]
    if unknown:
        errors.append(("themes", f"There is no theme “{unknown[0][:40]}”: choose from the list"))
    req = ProcurementRequest(
        title=values["title"][:MAX_TITLE],
        description=values["description"][:MAX_DESCRIPTION],
        cpv=cpv,
        value_gbp=value,
        region=values["region"] if values["region"] in taxonomy.regions else None,
        themes=[t for t in values["themes"] if t in taxonomy.themes][:8],
        duration_months=months,
        buyer_type=values["buyer"] if values["buyer"] in taxonomy.organisation_types else None,
    )
    if not errors and not (req.text or req.cpv or req.themes):
        errors.append(
            (
                "description",
                "Describe the procurement: give a title, a description, "
                "a category or the themes you prioritise",
            )
        )
    return req, values, errors
