"""Social Value Knowledge Base: content model, validation, database and CLI."""

__version__ = "0.1.0"
