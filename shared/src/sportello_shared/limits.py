"""Edge limits every service applies before any handler runs: body size and content type."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"
BODY_METHODS = {"POST", "PUT", "PATCH"}


async def _problem(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


class BodyTooLarge(Exception):
    pass


class EdgeLimits:
    """413 for bodies over `max_body_bytes` (declared or streamed), 415 for non-JSON bodies.

    Paths under `form_prefixes` (Open311 speaks form-encoded) may also send forms.
    """

    def __init__(
        self, app: ASGIApp, max_body_bytes: int = 64 * 1024, form_prefixes: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.form_prefixes = tuple(form_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _problem(send, 413, "Request body too large", self._limit())
            return
        if not self._acceptable(scope["path"], headers.get(b"content-type", b""), declared):
            await _problem(send, 415, "Unsupported media type", "send the body as application/json")
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
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _problem(send, 413, "Request body too large", self._limit())

    def _limit(self) -> str:
        return f"the limit is {self.max_body_bytes} bytes"
