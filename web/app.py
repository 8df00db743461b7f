"""The application factory: one app per Settings, no import-time globals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from kb import __version__
from kb.settings import Settings
from web.errors import STATUSES
from web.security import ApiCORS, BodySizeLimit, HeadAsGet, SecurityHeaders
from web.state import KnowledgeBase
from web.templating import make_templates

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("web")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.endswith((".json", ".csv"))


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
    templates = request.app.state.templates
    titles = {
        400: "There is a problem with your search",
        404: "Page not found",
        413: "Request too large",
        422: "There is a problem with your request",
        503: "Sorry, the service is unavailable",
        500: "Sorry, there is a problem with the service",
    }
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "title": titles.get(status, "Sorry, there is a problem"),
            "message": message,
            "settings": request.app.state.kb.settings,
            "path": request.url.path,
            "problems": [],
            "taxonomy": None,
        },
        status_code=status,
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the index, query encoder and catalogue before the server reports ready, so the
    first visitor does not wait for them."""
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(app.state.kb.warm_up)
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="Social Value Knowledge Base",
        version=__version__,
        description="Case studies of social value in UK public procurement: search, case studies, "
        "taxonomy and recommendations for a procurement.",
        docs_url=None,  # /docs is a server-rendered page: Swagger UI needs inline script and a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.kb = KnowledgeBase(settings)
    app.state.templates = make_templates()

    # Our own exceptions, each with the status it means; the message is the exception's text.
    async def known_error(request: Request, exc: Exception) -> Response:
        status = next(code for kind, code in STATUSES.items() if isinstance(exc, kind))
        return _error(request, status, str(exc))

    for kind in STATUSES:
        app.add_exception_handler(kind, known_error)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = ".".join(str(p) for p in first["loc"] if p not in ("query", "body", "path"))
        status = 422 if any(p == "body" for p in first["loc"]) else 400
        return _error(request, status, f"'{loc}': {first['msg']}" if loc else str(first["msg"]))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "the page you asked for does not exist"
        return _error(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return _error(request, 500, "an unexpected error occurred; it has been logged")

    from web import api, pages, plan_pages, recommend_pages, search_pages, suggest

    for module in (api, pages, search_pages, recommend_pages, plan_pages, suggest):
        app.include_router(module.router)
    STATIC.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Outermost first: size limit, HEAD as GET, CORS for the API only, then security headers.
    app.add_middleware(SecurityHeaders, embed_origins=settings.embed_origins)
    app.add_middleware(ApiCORS, allowed_origins=settings.allowed_origins)
    if settings.trusted_hosts != ["*"]:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodySizeLimit)
    return app
