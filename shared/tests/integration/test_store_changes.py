"""A follower learns what another process committed to its store without reading the store in a
loop: PostgreSQL's LISTEN/NOTIFY, SQLite's files (store_changes.py). Both stores, for real."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from sportello_devstack.testing import eventually
from sportello_shared.bus.leases import FileLockLease
from sportello_shared.follower import Batch, LogFollower
from sportello_shared.persistence import ensure_schema
from sportello_shared.settings import ServiceSettings
from sportello_shared.store_changes import FileChanges, PostgresChanges, store_changes

from .conftest import BusTestApplication

SAFETY_POLL = 60.0  # far longer than any wait below: only the store's signal can explain them


class Seen(LogFollower):
    position_name = "seen"

    def __init__(self, app: BusTestApplication, lease: FileLockLease) -> None:
        super().__init__(app, lease, poll_interval=0.05, safety_poll=SAFETY_POLL)
        self.seen: list[int] = []
        self.reads = 0

    def _next_batch(self) -> Batch:
        self.reads += 1
        return super()._next_batch()

    async def handle_batch(self, batch: Batch) -> None:
        self.seen.extend(notification.id for notification, _ in batch)


def application(store: dict[str, str]) -> BusTestApplication:
    settings = ServiceSettings(service_name="bustest", **store)  # type: ignore[arg-type]
    ensure_schema(settings)
    return BusTestApplication(env=settings.eventsourcing_env())


@pytest.fixture
async def follower(store: dict[str, str], tmp_path: Path) -> AsyncIterator[Seen]:
    running = Seen(application(store), FileLockLease(tmp_path / "seen.lock"))
    stop = asyncio.Event()
    task = asyncio.create_task(running.run(stop))
    await eventually(lambda: running.is_active, timeout=10)
    yield running
    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def test_another_process_s_commit_wakes_an_idle_follower_that_reads_nothing_meanwhile(
    follower: Seen, store: dict[str, str]
) -> None:
    other = application(store)  # another replica: its commits call none of our listeners
    await asyncio.sleep(0.5)  # settled: its own tracking row written, nothing left to read
    reads = follower.reads
    await asyncio.sleep(1.0)
    assert follower.reads - reads <= 1  # polling every 0.05 s, it would have read ~20 times

    started = time.monotonic()
    await asyncio.to_thread(other.open_tickets, 3)
    await eventually(lambda: len(follower.seen) == 3, timeout=10)
    assert time.monotonic() - started < 5  # the signal, not the 60 s safety poll


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_a_lost_listen_connection_falls_back_to_polling_then_listens_again(
    follower: Seen, store: dict[str, str]
) -> None:
    changes = store_changes(follower._app.recorder)
    assert isinstance(changes, PostgresChanges)
    await eventually(lambda: not changes.maybe_changed(), timeout=10)  # listening
    with psycopg.connect(store["DATABASE_URL"], autocommit=True) as conn:
        ended = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"listen {changes._channel}"[:63],),
        ).fetchall()
    assert ended == [(True,)]  # this test's listener, and only it

    await asyncio.to_thread(application(store).open_tickets, 2)
    await eventually(lambda: len(follower.seen) == 2, timeout=10)
    await eventually(lambda: not changes.maybe_changed(), timeout=10)  # listening again
    await asyncio.to_thread(application(store).open_tickets, 1)
    await eventually(lambda: len(follower.seen) == 3, timeout=5)


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_others_counts_what_other_processes_commit_and_nothing_while_nobody_listens(
    store: dict[str, str], tmp_path: Path
) -> None:
    """`others()`: what a process may keep in memory by (counters.py, routing's reads.py)."""
    here, other = application(store), application(store)
    changes = store_changes(here.recorder)
    assert changes.others() is None  # no follower listening: no signal, read the store
    running = Seen(here, FileLockLease(tmp_path / "seen.lock"))
    stop = asyncio.Event()
    task = asyncio.create_task(running.run(stop))
    try:
        await eventually(lambda: changes.others() is not None, timeout=10)
        await asyncio.sleep(0.3)
        before = changes.others()
        await asyncio.to_thread(here.open_tickets, 2)  # its own: not counted
        await eventually(lambda: len(running.seen) == 2, timeout=10)
        await asyncio.sleep(0.3)
        assert changes.others() == before
        await asyncio.to_thread(other.open_tickets, 1)
        await eventually(lambda: changes.others() != before, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    await eventually(lambda: changes.others() is None, timeout=10)  # nobody listens any more


def test_a_commit_that_keeps_the_wal_s_size_and_time_is_still_seen(tmp_path: Path) -> None:
    """SQLite: a commit rewriting a reset WAL in place keeps its size, and within one tick of the
    file system's clock its modification time; the WAL index's change counter still moves."""
    database = tmp_path / "store.sqlite"
    writer = sqlite3.connect(database)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (x)")
    writer.execute("INSERT INTO t VALUES (0)")
    writer.commit()
    reader = sqlite3.connect(database)  # another process's connection keeps the WAL index open
    reader.execute("SELECT 1").fetchall()
    writer.execute("PRAGMA wal_checkpoint(RESTART)")
    changes = FileChanges(database)
    wal = database.with_name(database.name + "-wal")
    before = wal.stat()

    writer.execute("INSERT INTO t VALUES (1)")
    writer.commit()
    os.utime(wal, ns=(before.st_atime_ns, before.st_mtime_ns))  # the clock had not ticked

    assert wal.stat().st_size == before.st_size  # the reset WAL rewritten in place
    assert changes.maybe_changed()
    assert not changes.maybe_changed()
    reader.close()
    writer.close()
