"""Issue 25 on the live intake, both stores: a store that cannot write answers 503 in bounded time.

The fault is real and private to the test: another session holds the write lock of this test's
own store (SQLite: `BEGIN EXCLUSIVE` on the file; PostgreSQL: `LOCK TABLE` on its schema's events
table), so intake's writer waits on the store exactly as it would on a frozen server.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from .conftest import REGISTRATION, client_of, eventually, settings_for

STORE_WAIT_S = 1.0


@pytest.fixture
def store_wait_s() -> float:
    return STORE_WAIT_S


@pytest.fixture
async def client(
    store: dict[str, str], nats_url: str, store_wait_s: float
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(settings_for(store, nats_url, STORE_WAIT_S=store_wait_s)) as client:
        yield client


@contextmanager
def write_lock_held(store: dict[str, str], pg_mode: str = "ACCESS EXCLUSIVE") -> Iterator[None]:
    """Another session holds the store's write lock until the block ends (on PostgreSQL
    ACCESS EXCLUSIVE stops reads too, as a frozen server would; EXCLUSIVE only writes)."""
    if "DATABASE_URL" not in store:
        path = Path(store["SPORTELLO_DATA_DIR"]) / "intake.sqlite"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with psycopg.connect(store["DATABASE_URL"]) as pg:
        table = sql.Identifier(store["DATABASE_SCHEMA"], "intake_events")
        lock = sql.SQL("LOCK TABLE {} IN {} MODE").format(table, sql.SQL(pg_mode))
        pg.execute(lock)
        try:
            yield
        finally:
            pg.rollback()


async def register(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post("/cases", json=REGISTRATION, headers={"Idempotency-Key": key})


async def test_a_store_that_cannot_write_answers_503_in_bounded_time_and_the_retry_is_safe(
    client: httpx.AsyncClient, store: dict[str, str]
) -> None:
    assert (await register(client, "before")).status_code == 201
    statuses = []
    with write_lock_held(store):
        for attempt in range(3):
            started = time.monotonic()
            refused = await register(client, "during")
            took = time.monotonic() - started
            statuses.append(refused.status_code)
            assert refused.status_code == 503, refused.text
            assert took < STORE_WAIT_S + 1, f"attempt {attempt} answered after {took:.1f}s"
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "1"
            assert refused.json()["dependency"] == "store"
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["store"] is False
        assert "store" in ready.json()["failing"]

    async def saved() -> httpx.Response | None:
        """The client retries with its Idempotency-Key until the store answers."""
        response = await register(client, "during")
        statuses.append(response.status_code)
        return response if response.status_code in (200, 201) else None

    case = (await eventually(saved)).json()
    replay = await register(client, "during")
    assert replay.status_code == 200 and replay.json()["case_id"] == case["case_id"]
    assert 500 not in statuses

    async def ready_again() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready_again)

    async def both_indexed() -> bool:
        """One case for "before", one for "during": the refused attempts made no other."""
        page = (await client.get("/cases", params={"tenant": "torino"})).json()
        return page["total"] == 2

    await eventually(both_indexed)
    metrics = (await client.get("/metrics")).text
    assert 'sportello_unavailable_total{dependency="store"}' in metrics


@pytest.mark.parametrize("store_wait_s", [8.0])
async def test_the_driver_giving_up_on_the_lock_is_a_503_naming_its_cause_not_a_500(
    client: httpx.AsyncClient, store: dict[str, str]
) -> None:
    """Waiting longer than the store's own lock timeout (5 s): the driver's error, mapped."""
    if "DATABASE_URL" in store:
        pytest.skip(
            "on PostgreSQL a registration first waits on reads, which have no lock timeout: "
            "only the request's bound answers there (the test above); psycopg's errors are "
            "classified in shared/tests/unit/test_outages.py"
        )
    with write_lock_held(store, pg_mode="EXCLUSIVE"):
        refused = await register(client, "locked")
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "8"
    detail = refused.json()["detail"]
    assert "LockNotAvailable" in detail or "database is locked" in detail, detail
    assert (await register(client, "locked")).status_code == 201  # nothing was saved
