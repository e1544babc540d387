"""Issue 25: which failures are outages (503 with Retry-After) and which stay bugs (500)."""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import time

import httpx
import nats.errors
import nats.js.errors
import psycopg
import psycopg.errors
import psycopg_pool
import pytest
from eventsourcing import persistence as es
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sportello_shared.batching import Batcher
from sportello_shared.health import WriteHealth
from sportello_shared.outages import BUS, STORE, Outages, StoreTimeout, Unavailable, outage
from sportello_shared.runtime import Backoff
from sportello_shared.writer import Writer


def wrapped(driver_error: Exception, wrapper: type[Exception]) -> Exception:
    """As eventsourcing raises them: its own error, the driver's as the cause."""
    try:
        try:
            raise driver_error
        except Exception as exc:
            raise wrapper(str(exc)) from exc
    except Exception as outer:
        return outer


@pytest.mark.parametrize(
    "error",
    [
        wrapped(
            psycopg.errors.DiskFull("could not extend file: No space left on device"),
            es.OperationalError,
        ),
        wrapped(psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), es.InternalError),
        wrapped(psycopg.errors.SerializationFailure("could not serialize"), es.OperationalError),
        wrapped(psycopg.errors.LockNotAvailable("lock timeout"), es.OperationalError),
        wrapped(psycopg.errors.AdminShutdown("terminating connection"), es.OperationalError),
        wrapped(psycopg.OperationalError("connection refused"), es.OperationalError),
        psycopg_pool.PoolTimeout("couldn't get a connection after 30 sec"),
        wrapped(sqlite3.OperationalError("database or disk is full"), es.OperationalError),
        wrapped(sqlite3.OperationalError("database is locked"), es.OperationalError),
        wrapped(
            sqlite3.OperationalError("attempt to write a readonly database"), es.OperationalError
        ),
        OSError(errno.ENOSPC, "No space left on device"),
        StoreTimeout(3.0),
        Unavailable(STORE, "the reference counter was contended 10 times"),
    ],
    ids=lambda e: type(e.__cause__ or e).__name__ + ":" + str(e)[:20],
)
def test_store_failures_are_outages(error: Exception) -> None:
    found = outage(error)
    assert found is not None and found[0] == STORE


@pytest.mark.parametrize(
    "error",
    [
        nats.errors.NoServersError(),
        nats.errors.ConnectionClosedError(),
        nats.errors.TimeoutError(),
        nats.js.errors.ServiceUnavailableError(code=503, description="JetStream not ready"),
        nats.js.errors.NoStreamResponseError(),
    ],
)
def test_bus_failures_are_outages(error: Exception) -> None:
    found = outage(error)
    assert found is not None and found[0] == BUS


@pytest.mark.parametrize(
    "error",
    [
        KeyError("tenant"),
        ValueError("bad"),
        wrapped(psycopg.errors.UndefinedTable('relation "x" does not exist'), es.ProgrammingError),
        wrapped(psycopg.errors.UniqueViolation("duplicate key"), es.IntegrityError),
        wrapped(sqlite3.OperationalError("no such table: stored_events"), es.OperationalError),
        nats.js.errors.NotFoundError(code=404, description="stream not found"),
        OSError(errno.ENOENT, "No such file or directory"),
    ],
    ids=lambda e: type(e.__cause__ or e).__name__,
)
def test_bugs_stay_bugs(error: Exception) -> None:
    assert outage(error) is None


def app_raising(error: Exception, store_wait_s: float = 2.0) -> FastAPI:
    app = FastAPI()
    app.add_middleware(Outages, store_wait_s=store_wait_s)

    @app.get("/fail")
    async def fail() -> None:
        raise error

    return app


async def test_an_outage_answers_503_problem_json_with_retry_after() -> None:
    error = wrapped(psycopg.errors.DiskFull("No space left on device"), es.OperationalError)
    before = REGISTRY.get_sample_value("sportello_unavailable_total", {"dependency": "store"})
    transport = httpx.ASGITransport(app=app_raising(error, store_wait_s=2.5))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        response = await client.get("/fail")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "3"
    body = response.json()
    assert body["status"] == 503 and body["dependency"] == "store"
    assert "DiskFull" in body["detail"] and "No space left" in body["detail"]
    after = REGISTRY.get_sample_value("sportello_unavailable_total", {"dependency": "store"})
    assert (after or 0) == (before or 0) + 1


async def test_a_bug_is_still_a_500() -> None:
    transport = httpx.ASGITransport(app=app_raising(KeyError("x")), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        response = await client.get("/fail")
    assert response.status_code == 500


def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


async def test_the_writer_gives_up_at_the_request_deadline_and_says_why_in_readiness() -> None:
    health = WriteHealth(hold_s=30)
    writer = Writer("test", health)
    app = FastAPI()
    app.add_middleware(Outages, store_wait_s=0.3)

    @app.get("/write")
    async def write() -> str:
        return await writer.call(slow, 1.0)

    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            started = time.monotonic()
            response = await client.get("/write")
            took = time.monotonic() - started
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert took < 0.9, f"answered after {took:.2f}s, not at the 0.3 s bound"
        failure = health.failing()
        assert failure is not None and "did not answer within 0.3 s" in failure.cause
        health.succeeded()
        assert health.failing() is None
        # outside a request (a worker) the same call waits as long as it takes
        assert await writer.call(slow, 0.4) == "done"
    finally:
        writer.shutdown()


async def test_a_queued_registration_whose_caller_gave_up_is_never_committed() -> None:
    committed: list[str] = []

    def commit(commands: list[str]) -> list[str]:
        time.sleep(0.5)  # the store is slow: the second command waits in the queue
        committed.extend(commands)
        return commands

    writer = Writer("test")
    batcher: Batcher[str, str] = Batcher("test", writer, commit)
    app = FastAPI()
    app.add_middleware(Outages, store_wait_s=0.2)

    @app.post("/{name}")
    async def register(name: str) -> str:
        return await batcher.submit(name)

    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            first = asyncio.create_task(client.post("/first"))
            await asyncio.sleep(0.05)  # "first" is now in the writer's hands
            second = await client.post("/second")
            assert (await first).status_code == 503
        assert second.status_code == 503
        await asyncio.sleep(0.7)
        # "first" was committing already and finished unheard; "second" was dropped
        assert committed == ["first"]
    finally:
        await batcher.close()
        writer.shutdown()


def test_worker_backoff_doubles_up_to_its_cap_and_starts_over() -> None:
    backoff = Backoff(first=0.5, cap=4.0)
    assert [backoff.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next() == 0.5
