"""The `kb` command: thin Typer commands over the services."""

from kb.cli.main import app

__all__ = ["app"]
