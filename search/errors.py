"""Exceptions raised by the search engine, each with a message a person can act on."""

from __future__ import annotations


class SearchError(Exception):
    """Base class for every error raised by :mod:`search`."""


class ModelUnavailable(SearchError):
    """The embedding model named by the settings cannot be found locally."""


class IndexUnavailable(SearchError, LookupError):
    """There is no usable index: it was never built, or its files are missing or corrupt."""


class IndexMismatch(SearchError):
    """The index exists but does not belong with the current model, content or settings."""


class BuildError(SearchError):
    """A build was refused (invalid input, another build running, unexpected layout)."""


class DocumentNotFound(SearchError, KeyError):
    """No document with the given id is in the index."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the plain message
        return str(self.args[0]) if self.args else "document not found"
