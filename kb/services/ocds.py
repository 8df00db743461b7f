"""Read an Open Contracting Data Standard tender into a procurement request.

Accepts a release, a record (its compiledRelease), a release package (the latest release) or a
bare tender object, as published by Find a Tender and Contracts Finder.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kb.content.rules import MAX_VALUE_GBP
from kb.content.taxonomy import Taxonomy
from kb.services.recommend import ProcurementRequest


class OCDSError(ValueError):
    pass


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise OCDSError(f"'{where}' must be a JSON object")
    return value


def _items(holder: dict[str, Any], key: str, where: str) -> list[Any]:
    """A list field, or []; a present field of another type is an error naming it."""
    value = holder.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise OCDSError(f"'{where}.{key}' must be a list")
    return value


def _tender(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    where = ""
    if "releases" in data:
        releases = _items(data, "releases", "package")
        if releases:
            data, where = _obj(releases[-1], f"releases[{len(releases) - 1}]"), "releases[-1]."
    elif "records" in data:
        records = _items(data, "records", "package")
        if records:
            record = _obj(records[-1], f"records[{len(records) - 1}]")
            if "compiledRelease" in record:
                data = _obj(record["compiledRelease"], "records[-1].compiledRelease")
            else:
                releases = _items(record, "releases", "records[-1]") or [{}]
                data = _obj(releases[-1], "records[-1].releases[-1]")
            where = "records[-1]."
    elif "compiledRelease" in data:
        data, where = _obj(data["compiledRelease"], "compiledRelease"), "compiledRelease."
    tender = data.get("tender", data)
    if not isinstance(tender, dict):
        raise OCDSError("no OCDS tender found: send a release, a record, a package or a tender")
    return tender, f"{where}tender" if "tender" in data else where.rstrip(".") or "tender"


def _classifications(tender: dict[str, Any], where: str) -> list[dict[str, Any]]:
    out = []
    if isinstance(tender.get("classification"), dict):
        out.append(tender["classification"])
    for item in _items(tender, "items", where):
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("classification"), dict):
            out.append(item["classification"])
        extra = _items(item, "additionalClassifications", f"{where}.items[]")
        out.extend(c for c in extra if isinstance(c, dict))
    return out


def _take(addr: Any, found: list[str]) -> None:
    if isinstance(addr, dict):
        for key in ("region", "locality", "postalCode", "description"):
            if isinstance(addr.get(key), str):
                found.append(addr[key])


def _locations(tender: dict[str, Any], where: str) -> list[str]:
    """Region names and codes from delivery addresses and locations, wherever OCDS puts them."""
    found: list[str] = []
    items = [i for i in _items(tender, "items", where) if isinstance(i, dict)]
    for holder in [tender, *items]:
        _take(holder.get("deliveryAddress"), found)
        for a in _items(holder, "deliveryAddresses", where):
            _take(a, found)
        for loc in _items(holder, "deliveryLocations", where):
            if isinstance(loc, dict):
                _take(loc.get("address"), found)
                if isinstance(loc.get("description"), str):
                    found.append(loc["description"])
        if isinstance(holder.get("deliveryLocation"), dict):
            _take(holder["deliveryLocation"].get("address"), found)
    return found


def _value_gbp(tender: dict[str, Any], where: str) -> int | None:
    """The tender's value in pounds, when given in GBP; refuses NaN, infinities and absurd sums."""
    key = "value" if tender.get("value") is not None else "maxValue"
    value = tender.get(key)
    if value is None:
        return None
    value = _obj(value, f"{where}.{key}")
    amount = value.get("amount")
    if amount is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise OCDSError(f"'{where}.{key}.amount' must be a number")
    if not (amount == amount and 0 <= amount <= MAX_VALUE_GBP):  # NaN fails amount == amount
        raise OCDSError(f"'{where}.{key}.amount' must be a number from 0 to {MAX_VALUE_GBP:,}")
    return int(amount) if value.get("currency", "GBP") == "GBP" else None


# NUTS/ITL level-1 codes used in UK notices (UKC..UKN; ITL uses TLC..TLN).
_NUTS1 = re.compile(r"^(?:UK|TL)([C-N])", re.IGNORECASE)


def _region(places: list[str], taxonomy: Taxonomy) -> str | None:
    by_itl = {t.itl1: t.slug for t in taxonomy.regions if t.itl1}
    for place in places:
        m = _NUTS1.match(place.strip())
        if m and f"TL{m.group(1).upper()}" in by_itl:
            return by_itl[f"TL{m.group(1).upper()}"]
    for place in places:
        for term in taxonomy.regions:
            names = [term.label, *term.synonyms]
            if any(n.lower() == place.strip().lower() for n in names):
                return term.slug
    return None


_KINDS = {"goods": "goods", "services": "services", "works": "works"}
MAX_DURATION_DAYS = 100 * 366


def _duration_months(tender: dict[str, Any], where: str) -> int | None:
    """The contract's length from `contractPeriod` (durationInDays, or its start and end dates)."""
    period = tender.get("contractPeriod")
    if period is None:
        return None
    period = _obj(period, f"{where}.contractPeriod")
    days = period.get("durationInDays")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, (int, float)) or days != days:
            raise OCDSError(f"'{where}.contractPeriod.durationInDays' must be a number")
        if not 0 <= days <= MAX_DURATION_DAYS:
            raise OCDSError(
                f"'{where}.contractPeriod.durationInDays' must be from 0 to {MAX_DURATION_DAYS:,}"
            )
        return max(1, round(days / 30.44)) if days else None
    start, end = period.get("startDate"), period.get("endDate")
    if isinstance(start, str) and isinstance(end, str):
        try:
            a = dt.date.fromisoformat(start[:10])
            b = dt.date.fromisoformat(end[:10])
        except ValueError as exc:
            raise OCDSError(
                f"'{where}.contractPeriod' dates must be ISO dates like 2026-04-01"
            ) from exc
        months = (b.year - a.year) * 12 + (b.month - a.month)
        return months if 0 < months <= MAX_DURATION_DAYS // 30 else None
    return None


def from_ocds(data: Any, taxonomy: Taxonomy) -> ProcurementRequest:
    """Raises :class:`OCDSError` naming the field for any shape this cannot read."""
    if not isinstance(data, dict):
        raise OCDSError("an OCDS release must be a JSON object")
    tender, where = _tender(data)
    cpv = [
        str(c.get("id"))
        for c in _classifications(tender, where)
        if str(c.get("scheme", "CPV")).upper() in ("CPV", "CPVS", "")
        and isinstance(c.get("id"), (str, int))
        and not isinstance(c.get("id"), bool)
    ]
    title = str(tender["title"]) if isinstance(tender.get("title"), str) else ""
    description = str(tender["description"]) if isinstance(tender.get("description"), str) else ""
    if not (title or description or cpv):
        raise OCDSError("the OCDS tender has no title, description or CPV classification")
    return ProcurementRequest(
        title=title[:300],
        description=description[:5000],
        cpv=cpv[:20],
        value_gbp=_value_gbp(tender, where),
        region=_region(_locations(tender, where), taxonomy),
        duration_months=_duration_months(tender, where),
        kind=_KINDS.get(str(tender.get("mainProcurementCategory", "")).lower()),
    )
