"""Security headers on every response: a strict CSP (no inline script or style), no framing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(form_action: tuple[str, ...] = ()) -> str:
    """`form_action`: other origins a form may lead to (a sign-out through the identity
    provider's end-session endpoint is a form whose redirect leaves the site)."""
    sources = " ".join(("'self'", *form_action))
    return "; ".join((*DIRECTIVES, f"form-action {sources}", "frame-ancestors 'none'"))


DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
)
CONTENT_SECURITY_POLICY = content_security_policy()

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeadersMiddleware:
    """Pure ASGI (streams such as server-sent events pass through untouched)."""

    def __init__(
        self, app: ASGIApp, *, hsts: bool = False, form_action: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        csp = (b"content-security-policy", content_security_policy(form_action).encode())
        self.headers = (csp, *HEADERS) + (
            ((b"strict-transport-security", b"max-age=31536000; includeSubDomains"),)
            if hsts
            else ()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
