"""A replica that follows the log must not freeze its own requests when the store stalls.

Found by the fault suite (PostgreSQL frozen 20 s, issue 25): the replica holding the relay's
lease decoded events on the event loop, and decoding a case another replica registered reads
that citizen's data key from the store (personal_data/vault/). With the store frozen, the
read blocked the loop, and every request of that replica timed out instead of answering 503.

The stall here is real and private to the test: another session holds an ACCESS EXCLUSIVE lock
on this test's own data-key table, so the key read waits exactly as on a frozen server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from sportello_intake.application import IntakeApplication
from sportello_intake.main import open_case_index
from sportello_shared.bus.leases import FileLockLease
from sportello_shared.follower import Batch, LogFollower
from sportello_shared.tenants import load_tenants

from .conftest import REGISTRATION, client_of, settings_for


class Collecting(LogFollower):
    position_name = "test-off-loop"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: Batch = []

    async def handle_batch(self, batch: Batch) -> None:
        self.seen.extend(batch)


@contextmanager
def key_table_locked(store: dict[str, str], release_after: float) -> Iterator[None]:
    """Another session locks the data-key table; a timer thread lets go after `release_after`
    seconds even if the event loop is stuck behind it (the bug would otherwise deadlock)."""
    pg = psycopg.connect(store["DATABASE_URL"])
    table = sql.Identifier(store["DATABASE_SCHEMA"], "intake_data_subjects")
    pg.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(table))
    released = threading.Lock()

    def release() -> None:
        with released:
            if not pg.closed:
                pg.rollback()
                pg.close()

    timer = threading.Timer(release_after, release)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        release()


async def longest_pause(until: asyncio.Task[Any], tick: float = 0.05) -> float:
    """The longest the event loop went without running this coroutine, until `until` ends."""
    longest, last = 0.0, time.monotonic()
    while not until.done():
        await asyncio.sleep(tick)
        now = time.monotonic()
        longest, last = max(longest, now - last - tick), now
    return longest


async def test_decoding_another_replicas_cases_runs_off_the_event_loop(
    store: dict[str, str], nats_url: str, tmp_path: Any
) -> None:
    if "DATABASE_URL" not in store:
        pytest.skip("two replicas share one store on PostgreSQL")
    settings = settings_for(store, nats_url)
    async with client_of(settings) as client:  # replica A registers the case
        response = await client.post("/cases", json=REGISTRATION)
        assert response.status_code == 201, response.text
    tenants = load_tenants(settings.tenants_dir)
    # replica B: a fresh process, so none of the citizen's keys is in its cache
    env = settings.eventsourcing_env()
    replica = IntakeApplication(tenants, open_case_index(settings), env=env)
    try:
        follower = Collecting(replica, FileLockLease(tmp_path / "lease"))
        with key_table_locked(store, release_after=3.0):
            following = asyncio.create_task(follower.follow_once())
            paused = await longest_pause(asyncio.ensure_future(asyncio.sleep(1.5)))
            assert paused < 0.5, f"the event loop stood still {paused:.1f}s behind a store read"
            assert not following.done(), "the key read should be waiting on the lock"
        covered = await asyncio.wait_for(following, 10)
    finally:
        replica.close()
    assert covered >= 1
    registered = [event for _, event in follower.seen if type(event).__name__ == "Registered"]
    assert registered, [type(event).__name__ for _, event in follower.seen]
    assert registered[0].citizen["email"] == REGISTRATION["citizen"]["email"]  # decoded, not erased


async def test_the_live_replica_answers_while_its_store_is_locked(
    store: dict[str, str], nats_url: str
) -> None:
    """The same, seen from outside: a read answers 503 in bounded time, never hangs."""
    if "DATABASE_URL" not in store:
        pytest.skip("the key table lock is a PostgreSQL session's")
    async with client_of(settings_for(store, nats_url, STORE_WAIT_S=1.0)) as client:
        case = (await client.post("/cases", json=REGISTRATION)).json()
        with key_table_locked(store, release_after=5.0):
            started = time.monotonic()
            try:
                answer = await asyncio.wait_for(client.get(f"/cases/{case['case_id']}"), 10)
            except (TimeoutError, httpx.HTTPError) as exc:
                pytest.fail(f"no answer while the key table was locked: {exc!r}")
            took = time.monotonic() - started
        assert answer.status_code in (200, 503), answer.text
        assert took < 1.0 + 1.0, f"answered after {took:.1f}s"
