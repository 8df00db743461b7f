"""Commands beside the core: `kb new`, `kb suggest-tags`, `kb check-links` and `kb plan`.

They are added to the `kb` app by ``register(app)`` (called from kb/cli/main.py).
"""

from __future__ import annotations

import typer

from kb.cli.links import check_links
from kb.cli.new import new
from kb.cli.plan import plan
from kb.cli.tags import suggest_tags


def register(app: typer.Typer) -> None:
    """Add `new`, `suggest-tags`, `check-links` and `plan` to the `kb` app."""
    app.command("new")(new)
    app.command("suggest-tags")(suggest_tags)
    app.command("check-links")(check_links)
    app.command("plan")(plan)
