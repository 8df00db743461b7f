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
            "form-action 'self' https:",
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

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await too_big(scope, receive, send)


class _TooLarge(Exception):
    pass
