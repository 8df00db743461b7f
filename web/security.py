"""Security headers and request-size limits for every response."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


class SecurityHeaders:
    """Adds CSP, nosniff, referrer policy and framing rules; HSTS when served over https.

    Only /embed/ pages may be framed, and only by the configured origins.
    """

    def __init__(self, app: ASGIApp, embed_origins: list[str]):
        self.app = app
        self.embed_ancestors = " ".join(embed_origins) if embed_origins else "'none'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        embeddable = path.startswith("/embed/")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                existing = {k.lower() for k, _ in headers}
                ancestors = self.embed_ancestors if embeddable else "'none'"
                extra = {
                    b"content-security-policy": content_security_policy(ancestors).encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"strict-origin-when-cross-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                    b"cross-origin-opener-policy": b"same-origin",
                }
                if not embeddable:
                    extra[b"x-frame-options"] = b"DENY"
                if https:
                    extra[b"strict-transport-security"] = b"max-age=31536000; includeSubDomains"
                for k, v in extra.items():
                    if k not in existing:
                        headers.append((k, v))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """Refuses request bodies over the limit with 413, before the app reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        too_big = JSONResponse(
            {
                "error": {
                    "status": 413,
                    "message": f"request body is larger than {self.max_bytes:,} bytes",
                }
            },
            status_code=413,
        )
        if declared is not None:
            try:
                if int(declared) > self.max_bytes:
                    await too_big(scope, receive, send)
                    return
            except ValueError:
                await JSONResponse(
                    {"error": {"status": 400, "message": "bad Content-Length"}}, status_code=400
                )(scope, receive, send)
                return
        received = 0
        rejected = False

        async def limited_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it arrives: past the limit
            # the client gets 413 at once and the app sees a disconnect, so it stops reading.
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    rejected = True
                    await too_big(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not rejected:  # the 413 has been sent: whatever the app answers is dropped
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


class HeadAsGet:
    """Answers HEAD like GET without the body (FastAPI routes declare GET only)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class ApiCORS:
    """CORS for the read-only JSON API (any allowed origin may call it); none for HTML pages."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str]):
        from starlette.middleware.cors import CORSMiddleware

        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=allowed_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api = scope["type"] == "http" and scope.get("path", "").startswith("/api/")
        await (self.cors if api else self.app)(scope, receive, send)
