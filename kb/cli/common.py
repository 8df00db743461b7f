"""Helpers the commands share: settings, failing with a message, reading option values."""

from __future__ import annotations

import re

import typer

from kb.services.scaffold import (
    SourceDraft,
)
from kb.settings import Settings


def load_settings() -> Settings:
    return Settings()


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def split_values(values: list[str] | None) -> list[str]:
    """Values from repeated options, each of which may also be comma-separated."""
    out: list[str] = []
    for v in values or []:
        out.extend(p.strip() for p in re.split(r"[,;]", v) if p.strip())
    return list(dict.fromkeys(out))


def parse_source(text: str) -> SourceDraft:
    """'TITLE | URL | TYPE' (title and type optional, any order) -> SourceDraft."""
    parts = [p.strip() for p in text.split("|") if p.strip()]
    url = next((p for p in parts if p.lower().startswith(("https://", "http://"))), "")
    kind = next((p for p in parts if p in ("own", "independent")), "own")
    title = " ".join(p for p in parts if p not in (url, kind))
    return SourceDraft(title, url, kind)
