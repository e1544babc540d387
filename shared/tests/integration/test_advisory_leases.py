"""Leases on PostgreSQL: every lease of a process on one connection (bus/leases.py), still
exclusive between processes and between leases of the same name, all lost with the connection."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from sportello_shared.bus.leases import AdvisoryLockLease, AdvisoryLocks

pytestmark = pytest.mark.postgres


@pytest.fixture
async def locks(database_url: str) -> AsyncIterator[tuple[AdvisoryLocks, AdvisoryLocks]]:
    """Two processes' lock connections."""
    first, second = AdvisoryLocks(database_url), AdvisoryLocks(database_url)
    yield first, second
    await first.close()
    await second.close()


def names(count: int) -> list[str]:
    run = uuid.uuid4().hex  # this test's own lock keys
    return [f"{run}:{n}" for n in range(count)]


async def taken_within(lease: AdvisoryLockLease, seconds: float) -> bool:
    try:
        await asyncio.wait_for(lease.acquire(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def backends_of(database_url: str, pids: set[int]) -> int:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0


async def take_all(locks: AdvisoryLocks, count: int) -> tuple[list[str], list[AdvisoryLockLease]]:
    """`count` fresh names, each leased by `locks` (asserted taken, on the process's connection)."""
    keys = names(count)
    held = [AdvisoryLockLease(locks, key, retry_interval=0.05) for key in keys]
    for lease in held:
        assert await taken_within(lease, 2)
    assert locks._conn is not None
    return keys, held


async def test_a_process_s_leases_share_one_connection_and_exclude_the_other_process(
    locks: tuple[AdvisoryLocks, AdvisoryLocks],
) -> None:
    mine, theirs = locks
    keys, held = await take_all(mine, 5)
    assert all([await lease.still_held() for lease in held])

    for key in keys:  # the other process waits for each of them
        assert not await taken_within(AdvisoryLockLease(theirs, key, retry_interval=0.05), 0.3)
    await held[0].release()
    assert await taken_within(AdvisoryLockLease(theirs, keys[0], retry_interval=0.05), 2)


async def test_two_leases_of_one_name_in_one_process_are_still_exclusive(
    locks: tuple[AdvisoryLocks, AdvisoryLocks],
) -> None:
    mine, theirs = locks
    [key] = names(1)
    first = AdvisoryLockLease(mine, key, retry_interval=0.05)
    second = AdvisoryLockLease(mine, key, retry_interval=0.05)
    assert await taken_within(first, 2)
    assert not await taken_within(second, 0.3)  # re-entrant in PostgreSQL, not here
    await first.release()
    assert await taken_within(second, 2)
    await second.release()  # released once, held by nobody: the other process takes it
    assert await taken_within(AdvisoryLockLease(theirs, key, retry_interval=0.05), 2)


async def test_a_lost_connection_loses_every_lease_and_the_other_process_takes_them(
    locks: tuple[AdvisoryLocks, AdvisoryLocks], database_url: str
) -> None:
    mine, theirs = locks
    keys, held = await take_all(mine, 3)
    assert mine._conn is not None
    pid = mine._conn.info.backend_pid
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    assert await backends_of(database_url, {pid}) == 0

    assert not any([await lease.still_held() for lease in held])
    for key in keys:
        assert await taken_within(AdvisoryLockLease(theirs, key, retry_interval=0.05), 2)
    # and back in this process, on a new connection, once the other lets go
    await theirs.close()
    for lease in held:
        assert await taken_within(lease, 2)
        assert await lease.still_held()


async def test_two_leases_of_one_name_asking_at_once_get_it_once(
    locks: tuple[AdvisoryLocks, AdvisoryLocks],
) -> None:
    mine, _ = locks
    [key] = names(1)
    leases = [AdvisoryLockLease(mine, key, retry_interval=0.05) for _ in range(4)]
    taken = await asyncio.gather(*(taken_within(lease, 0.5) for lease in leases))
    assert sorted(taken) == [False, False, False, True]
