"""Edge limits every service applies before any handler runs: body size and content type."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import PROBLEM_JSON, language_of, problem_bytes, say

BODY_METHODS = {"POST", "PUT", "PATCH"}


async def _problem(send: Send, scope: Scope, status: int, it: str, en: str) -> None:
    """A refusal before any handler ran, in the caller's language."""
    language = language_of(dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1"))
    body = problem_bytes(status, language, say(language, it, en))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-language", language.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


class EdgeLimits:
    """413 for bodies over `max_body_bytes` (declared or streamed), 415 for non-JSON bodies.

    Paths under `form_prefixes` (Open311 speaks form-encoded) may also send forms; paths under
    a prefix of `larger_bodies` (file uploads) have that prefix's limit instead.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = 64 * 1024,
        form_prefixes: Sequence[str] = (),
        larger_bodies: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.form_prefixes = tuple(form_prefixes)
        self.larger_bodies = dict(larger_bodies or {})

    def limit_for(self, path: str) -> int:
        """The body limit of `path`: its prefix's in `larger_bodies`, else the service's."""
        for prefix, limit in self.larger_bodies.items():
            if path.startswith(prefix):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        limit = self.limit_for(scope["path"])
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, scope)
            return
        if not self._acceptable(scope["path"], headers.get(b"content-type", b""), declared):
            await _problem(
                send,
                scope,
                415,
                "invii il corpo della richiesta come application/json",
                "send the body as application/json",
            )
            return
        await self._guarded(scope, receive, send)

    def _acceptable(self, path: str, content_type: bytes, declared: bytes | None) -> bool:
        if declared in (None, b"0") and not content_type:
            return True  # a command without a body
        media = content_type.split(b";")[0].strip().lower()
        if media == b"application/json" or media.endswith(b"+json"):
            return True
        forms = (b"application/x-www-form-urlencoded", b"multipart/form-data")
        return (
            media in forms and path.startswith(self.form_prefixes) if self.form_prefixes else False
        )

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A body streamed without Content-Length (chunked) is counted as it arrives: past the
        limit the handler is stopped and whatever it would answer (FastAPI turns a failed read
        into a 400) is replaced by the 413 a declared size gets."""
        received = 0
        too_large = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit_for(scope["path"]):
                    too_large = True
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if too_large:
                return  # the handler's answer to a body cut short: the 413 below replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counting_receive, tracking_send)
        if too_large and not started:
            await self._too_large(send, scope)

    async def _too_large(self, send: Send, scope: Scope) -> None:
        limit = self.limit_for(scope["path"])
        await _problem(
            send,
            scope,
            413,
            f"il corpo della richiesta supera il limite di {limit} byte",
            f"the request body is over the limit of {limit} bytes",
        )


class RateLimits:
    """Token buckets per client address on public write endpoints (429 with Retry-After).

    Kept in each replica's memory: with N replicas a client gets at most N times the rate, which
    is what a limit against floods needs; a shared quota would sit in the load balancer.
    """

    def __init__(self, app: ASGIApp, per_minute: dict[str, float], burst: int = 10) -> None:
        self.app = app
        self.per_minute = per_minute
        self.burst = burst
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefix = self._limited(scope)
        if prefix is not None:
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self._take((client, prefix), self.per_minute[prefix] / 60.0)
            if wait > 0:
                await _too_many(send, wait)
                return
        await self.app(scope, receive, send)

    def _limited(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            return None
        return next((p for p in self.per_minute if scope["path"].startswith(p)), None)

    def _take(self, key: tuple[str, str], rate: float) -> float:
        """Seconds to wait before a token is free (0 = take it now)."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:  # forget idle clients rather than grow forever
            self._buckets.clear()
        return 0.0


async def _too_many(send: Send, wait: float) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Too many requests",
            "status": 429,
            "detail": f"retry in {wait:.0f} s",
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"retry-after", str(max(1, round(wait))).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
