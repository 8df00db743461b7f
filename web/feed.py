"""An Atom feed of new and updated case studies: updated = added or last reviewed, whichever is
later; published = added to the library (when the file says)."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from kb.content.text import strip_unsafe
from kb.store.catalogue import Catalogue

ATOM = "http://www.w3.org/2005/Atom"


def _ts(day: dt.date) -> str:
    return (
        dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
    )


def atom_feed(catalogue: Catalogue, base_url: str, limit: int = 50) -> bytes:
    """ElementTree escapes every text node, so titles and summaries cannot inject markup."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    items = catalogue.newest(limit)
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Social Value Knowledge Base: case studies"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{base_url}/feed.atom"
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=f"{base_url}/feed.atom")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=f"{base_url}/")
    updated = items[0].changed if items else dt.date(2026, 1, 1)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _ts(updated)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "Social Value Knowledge Base contributors"
    for cs in items:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{base_url}/case-studies/{cs.slug}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = strip_unsafe(cs.title)
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=url)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _ts(cs.changed)
        if cs.added:
            ET.SubElement(entry, f"{{{ATOM}}}published").text = _ts(cs.added)
        ET.SubElement(entry, f"{{{ATOM}}}summary", type="text").text = strip_unsafe(cs.summary)
        for theme in cs.themes:
            ET.SubElement(
                entry,
                f"{{{ATOM}}}category",
                term=theme,
                label=catalogue.taxonomy.themes.label(theme),
            )
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
