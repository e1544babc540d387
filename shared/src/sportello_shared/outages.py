"""When the store or the bus cannot answer: one mapping to 503, and bounded waits.

A failure to read or write the store or to reach NATS (connection refused or lost, disk full,
read-only, serialization failures that exhausted their retries, timeouts) is an *outage*: the
request was not served and may be retried, so it answers 503 problem+json with `Retry-After`,
logged once with its cause. Anything else that escapes a handler is a bug and stays a 500.

Waits are bounded: each HTTP request gets a deadline (`STORE_WAIT_S` after it arrived); the
writer, the group-commit queue and reads through `read()` give up at that deadline with
`StoreTimeout`. A command that had not reached the store by then never will (its place in the
queue is dropped); one already in the store's hands may still commit, which is why a 503 says
"not known to be saved: retry with the same Idempotency-Key".
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import json
import math
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats.errors
import nats.js.errors
import psycopg
from eventsourcing import persistence as es
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")

STORE = "store"
BUS = "nats"

ANSWERED_503 = Counter(
    "sportello_unavailable_total",
    "Requests answered 503 because a dependency could not serve them",
    ["dependency"],
)


class Unavailable(Exception):
    """A dependency could not serve the request in time: retry later."""

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(detail)
        self.dependency = dependency


class StoreTimeout(Unavailable):
    def __init__(self, seconds: float) -> None:
        super().__init__(STORE, f"the store did not answer within {seconds:g} s")


# --- which failures are outages ------------------------------------------------------------------

# PostgreSQL SQLSTATE classes and codes that say "not now" rather than "wrong": connection (08),
# transaction rollback: serialization, deadlock (40), insufficient resources: disk full (53),
# operator intervention: shutdown, cancel (57), system error: I/O (58), lock not available,
# read-only transaction.
_PG_CLASSES = ("08", "40", "53", "57", "58")
_PG_CODES = ("55P03", "55006", "25006")
# What SQLite says when the file system, not the statement, is the problem.
_SQLITE_OUTAGES = ("locked", "busy", "disk", "full", "readonly", "unable to open", "i/o")
_OS_OUTAGES = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.EIO,
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
}


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        hidden = current.__suppress_context__  # `raise ... from None`: not a cause
        current = current.__cause__ or (None if hidden else current.__context__)
    return chain


def _outage_of(exc: BaseException) -> str | None:
    """The dependency this one exception says is unavailable, or None."""
    match exc:
        case Unavailable():
            return exc.dependency
        case nats.js.errors.APIError():
            return BUS if exc.code == 503 else None
        case nats.errors.Error():
            return BUS
        case psycopg.Error() if exc.sqlstate is not None:
            code = exc.sqlstate
            return STORE if code[:2] in _PG_CLASSES or code in _PG_CODES else None
        case psycopg.OperationalError() | psycopg.InterfaceError():
            return STORE  # no SQLSTATE: the client lost or never had its connection
        case sqlite3.OperationalError():
            text = str(exc).lower()
            return STORE if any(word in text for word in _SQLITE_OUTAGES) else None
        case OSError() if exc.errno in _OS_OUTAGES:
            return STORE
        case TimeoutError():
            return STORE
    return None


def outage(exc: BaseException) -> tuple[str, BaseException] | None:
    """(dependency, root cause) when `exc` or what caused it is an outage; None for a bug.

    eventsourcing wraps the driver's error (OperationalError from psycopg.errors.DiskFull...):
    the whole chain is looked at, the driver's own error deciding.
    """
    chain = _causes(exc)
    for cause in reversed(chain):  # the deepest first: the driver knows best
        dependency = _outage_of(cause)
        if dependency is not None:
            return dependency, cause
    if any(isinstance(c, es.OperationalError | es.InterfaceError) for c in chain) and not any(
        isinstance(c, psycopg.Error | sqlite3.Error) for c in chain
    ):
        return STORE, exc  # eventsourcing lost its connection without a driver error
    return None


def describe(cause: BaseException) -> str:
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0]}" if text else type(cause).__name__


# --- bounded waits -------------------------------------------------------------------------------

_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "store_deadline", default=None
)


def remaining() -> tuple[float, float] | None:
    """(seconds left, the configured bound) for the current request; None outside requests."""
    deadline = _deadline.get()
    if deadline is None:
        return None
    at, bound = deadline
    return max(at - time.monotonic(), 0.0), bound


async def bounded(awaitable: Awaitable[T]) -> T:
    """Await `awaitable` until the request's deadline, then StoreTimeout (it is cancelled)."""
    left = remaining()
    if left is None:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, timeout=left[0])
    except TimeoutError:
        raise StoreTimeout(left[1]) from None


async def read(fn: Callable[..., T], *args: Any) -> T:
    """A read off the event loop (a worker thread), within the request's deadline."""
    return await bounded(asyncio.to_thread(fn, *args))


# --- the edge ------------------------------------------------------------------------------------


class Outages:
    """ASGI middleware: a deadline for each request, and 503 for whatever outage escapes it."""

    def __init__(self, app: ASGIApp, store_wait_s: float) -> None:
        self.app = app
        self.store_wait_s = store_wait_s
        self.retry_after = str(max(1, math.ceil(store_wait_s)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        token = _deadline.set((time.monotonic() + self.store_wait_s, self.store_wait_s))
        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            found = outage(exc)
            if found is None or started:
                raise
            await self._unavailable(scope, send, *found)
        finally:
            _deadline.reset(token)

    async def _unavailable(
        self, scope: Scope, send: Send, dependency: str, cause: BaseException
    ) -> None:
        ANSWERED_503.labels(dependency).inc()
        detail = describe(cause)
        log.warning(
            "request.unavailable", dependency=dependency, cause=detail, path=scope.get("path")
        )
        body = (
            '{"type":"about:blank","title":"Service temporarily unavailable","status":503,'
            f'"detail":{json.dumps(f"{dependency} unavailable: {detail}")},'
            f'"dependency":{json.dumps(dependency)},"retry_after":{self.retry_after}}}'
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", self.retry_after.encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
