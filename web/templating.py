"""The Jinja environment: our templates first, then the GOV.UK Frontend macros; autoescaped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)
from markupsafe import Markup

from kb.content.text import strip_unsafe

TEMPLATES = Path(__file__).parent / "templates"


def site_base(request: Request) -> str:
    """The public base URL: KB_SITE_URL when set, so that no absolute URL trusts the Host header."""
    configured = request.app.state.kb.settings.site_url.rstrip("/")
    return configured or str(request.base_url).rstrip("/")


def sentence(text: object) -> str:
    """Upper-case the first letter only (Jinja's ``capitalize`` lower-cases the rest: slugs)."""
    s = str(text)
    return s[:1].upper() + s[1:]


def gbp(value: int | None) -> str:
    if value is None:
        return ""
    if value >= 1_000_000_000:
        return f"£{value / 1e9:.1f}bn".replace(".0bn", "bn")
    if value >= 1_000_000:
        return f"£{value / 1e6:.1f}m".replace(".0m", "m")
    return f"£{value:,}"


def uk_date(value: dt.date | dt.datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.day} {value:%B %Y}"


def safe_href(url: str | None) -> str:
    """The URL if it is http(s), mailto or relative; otherwise '#', so a bad record can't script."""
    from kb.content.render import is_safe_url

    return url if url and is_safe_url(url) else "#"


def _no_control_characters(value: object) -> object:
    """Every printed value loses control characters and bidi overrides (escaped or not)."""
    if isinstance(value, Markup):
        return Markup(strip_unsafe(str(value)))
    if isinstance(value, str):
        return strip_unsafe(value)
    return value


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_no_control_characters,
    )
    env.filters["gbp"] = gbp
    env.filters["safe_href"] = safe_href
    env.filters["uk_date"] = uk_date
    env.filters["sentence"] = sentence
    return env


def make_templates() -> Jinja2Templates:
    return Jinja2Templates(env=make_environment())


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    snap = getattr(request.state, "snapshot", None)
    base = {
        "settings": request.app.state.kb.settings,
        "taxonomy": snap.catalogue.taxonomy if snap and snap.catalogue else None,
        "problems": snap.problems if snap else [],
        "path": request.url.path,
    }
    return request.app.state.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status
    )
