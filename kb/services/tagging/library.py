"""The shipped case studies the suggestions learn from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.content.files import read_limited
from kb.services.tagging.draft import Draft, read_draft


@dataclass
class LibraryEntry:
    slug: str
    path: str
    title: str
    summary: str
    themes: list[str]
    outcomes: list[str]
    cpv: list[str]
    sections: list[tuple[str, str]] = field(default_factory=list)

    @property
    def head(self) -> str:
        return f"{self.title}. {self.summary}" if self.summary else self.title

    def as_draft(self) -> Draft:
        return Draft(self.title, self.summary, self.sections)


def load_entries(paths: Sequence[Path]) -> list[LibraryEntry]:
    """Title, summary and tags of each case-study file (lenient: unreadable files are skipped)."""
    entries: list[LibraryEntry] = []
    for p in paths:
        try:
            d = read_draft(read_limited(Path(p)).decode("utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if not d.head:
            continue
        entries.append(
            LibraryEntry(
                Path(p).stem,
                str(p),
                d.title,
                d.summary,
                d.listed("themes"),
                d.listed("outcomes"),
                d.listed("cpv"),
                d.sections,
            )
        )
    return entries
