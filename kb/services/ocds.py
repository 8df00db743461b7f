"""Read an Open Contracting Data Standard tender into a procurement request.

Accepts a release, a record (its compiledRelease), a release package (the latest release) or a
bare tender object, as published by Find a Tender and Contracts Finder.
"""

from __future__ import annotations

import re
from typing import Any

from kb.content.taxonomy import Taxonomy
from kb.services.recommend import ProcurementRequest


class OCDSError(ValueError):
    pass


def _tender(data: dict[str, Any]) -> dict[str, Any]:
    if "releases" in data and isinstance(data["releases"], list) and data["releases"]:
        data = data["releases"][-1]
    elif "records" in data and isinstance(data["records"], list) and data["records"]:
        record = data["records"][-1]
        data = record.get("compiledRelease") or (record.get("releases") or [{}])[-1]
    elif "compiledRelease" in data:
        data = data["compiledRelease"]
    tender = data.get("tender", data) if isinstance(data, dict) else None
    if not isinstance(tender, dict):
        raise OCDSError("no OCDS tender found: send a release, a record, a package or a tender")
    return tender


def _classifications(tender: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    if isinstance(tender.get("classification"), dict):
        out.append(tender["classification"])
    for item in tender.get("items") or []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("classification"), dict):
            out.append(item["classification"])
        out.extend(c for c in item.get("additionalClassifications") or [] if isinstance(c, dict))
    return out


def _locations(tender: dict[str, Any]) -> list[str]:
    """Region names and codes from delivery addresses and locations, wherever OCDS puts them."""
    found: list[str] = []

    def take(addr: Any) -> None:
        if isinstance(addr, dict):
            for key in ("region", "locality", "postalCode", "description"):
                if isinstance(addr.get(key), str):
                    found.append(addr[key])

    for holder in [tender, *[i for i in tender.get("items") or [] if isinstance(i, dict)]]:
        take(holder.get("deliveryAddress"))
        for a in holder.get("deliveryAddresses") or []:
            take(a)
        for loc in holder.get("deliveryLocations") or []:
            if isinstance(loc, dict):
                take(loc.get("address"))
                if isinstance(loc.get("description"), str):
                    found.append(loc["description"])
        if isinstance(holder.get("deliveryLocation"), dict):
            take(holder["deliveryLocation"].get("address"))
    return found


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


def from_ocds(data: Any, taxonomy: Taxonomy) -> ProcurementRequest:
    if not isinstance(data, dict):
        raise OCDSError("an OCDS release must be a JSON object")
    tender = _tender(data)
    cpv = [
        str(c.get("id"))
        for c in _classifications(tender)
        if str(c.get("scheme", "CPV")).upper() in ("CPV", "CPVS", "") and c.get("id")
    ]
    value = tender.get("value") or tender.get("maxValue") or {}
    amount = value.get("amount") if isinstance(value, dict) else None
    currency = value.get("currency", "GBP") if isinstance(value, dict) else "GBP"
    value_gbp = int(amount) if isinstance(amount, (int, float)) and currency == "GBP" else None
    title = str(tender["title"]) if isinstance(tender.get("title"), str) else ""
    description = str(tender["description"]) if isinstance(tender.get("description"), str) else ""
    if not (title or description or cpv):
        raise OCDSError("the OCDS tender has no title, description or CPV classification")
    return ProcurementRequest(
        title=title[:300],
        description=description[:5000],
        cpv=cpv[:20],
        value_gbp=value_gbp,
        region=_region(_locations(tender), taxonomy),
    )
