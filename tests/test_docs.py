"""Documentation that cannot rot: every setting, command and API route is documented."""

from __future__ import annotations

from pathlib import Path

from kb.cli.main import app as cli
from kb.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme():
    for name in Settings.model_fields:
        assert f"KB_{name.upper()}" in README, name


def test_every_command_is_in_the_readme():
    for command in cli.registered_commands:
        name = command.name or command.callback.__name__
        assert f"kb {name}" in README, name


def test_every_api_route_is_in_the_readme(app):
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/v1/"):
            assert path.removeprefix("/api/v1/").split("/")[0] in README, path
