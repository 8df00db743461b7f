"""Fixtures for the contribution workflow: the `kb` contributor commands on a fresh Typer app."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner


@pytest.fixture
def kb_app() -> typer.Typer:
    """A Typer app with only the contributor commands (kb/cli/main.py registers the same ones)."""
    from kb.cli.contrib import register

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return app


@pytest.fixture
def run(kb_app, settings, monkeypatch):
    """Invoke a contributor command with KB_* pointing at the temporary content folder."""
    monkeypatch.setenv("KB_CONTENT_DIR", str(settings.content_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("CI", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(kb_app, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def drafts_dir(tmp_path: Path) -> Path:
    d = tmp_path / "drafts"
    d.mkdir()
    return d
