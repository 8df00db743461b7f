"""The app's own errors, each meaning one HTTP status; the message is shown to the user."""

from __future__ import annotations

from pydantic import ValidationError

from web.params import BadParams


class NotFound(LookupError):
    """404: no such case study, theme or outcome."""


class ServiceUnavailable(Exception):
    """503: something the request needs is not available; the message says what."""


class RequestInvalid(ValueError):
    """422: a JSON body that does not match its schema (the first problem, with its field)."""

    def __init__(self, exc: ValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        super().__init__(f"'{loc}': {first['msg']}" if loc else first["msg"])


#: Each error class with the status it means (the app registers one handler for them all).
STATUSES: dict[type[Exception], int] = {
    BadParams: 400,
    RequestInvalid: 422,
    NotFound: 404,
    ServiceUnavailable: 503,
}
