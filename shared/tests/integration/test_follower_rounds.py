"""What a follower asks its store per commit (follower.py): its position once per lease, one
read per commit when the log is quiet, no second read for its own process's NOTIFY, and the
relay's position recorded at most once per `record_interval` and when it stops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from nats.js import JetStreamContext
from sportello_devstack.testing import eventually
from sportello_shared.bus.leases import FileLockLease
from sportello_shared.bus.relay import RELAY_POSITION, Relay

from .conftest import BusTestApplication, ticket_to_public
from .test_store_changes import Seen, application

COMMITS = 5


class Counted:
    """Counts the calls of one recorder method, for the length of a test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, recorder: Any, name: str) -> None:
        self.calls = 0
        original = getattr(recorder, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(recorder, name, counted)


@pytest.fixture
def app(store: dict[str, str]) -> BusTestApplication:
    return application(store)


@pytest.fixture
async def running(app: BusTestApplication, tmp_path: Path) -> AsyncIterator[Seen]:
    follower = Seen(app, FileLockLease(tmp_path / "seen.lock"))
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    await eventually(lambda: follower.is_active, timeout=10)
    yield follower
    stop.set()
    await asyncio.wait_for(task, timeout=10)


@pytest.fixture
def position_reads(monkeypatch: pytest.MonkeyPatch, app: BusTestApplication) -> Iterator[Counted]:
    yield Counted(monkeypatch, app.recorder, "max_tracking_id")


async def commit_one_at_a_time(app: BusTestApplication, follower: Seen, commits: int) -> None:
    for n in range(commits):
        await asyncio.to_thread(app.open_tickets, 1)
        await eventually(lambda n=n: len(follower.seen) == n + 1, timeout=10)  # type: ignore[misc]
        await asyncio.sleep(0.3)  # six poll intervals: whatever else it would read, it reads


async def test_the_position_is_read_from_the_store_once_per_lease(
    position_reads: Counted, app: BusTestApplication, running: Seen
) -> None:
    await commit_one_at_a_time(app, running, COMMITS)
    assert running.seen == sorted(running.seen) and len(set(running.seen)) == COMMITS
    assert position_reads.calls <= 1  # taken with the lease (before counting began, or once)
    assert app.recorder.max_tracking_id("seen") == running.seen[-1]  # recorded all the same


async def test_a_commit_of_the_follower_s_own_process_is_not_read_back_from_the_store(
    app: BusTestApplication, running: Seen, store: dict[str, str]
) -> None:
    await asyncio.sleep(0.5)  # settled: nothing left to read
    reads = running.reads
    await commit_one_at_a_time(app, running, COMMITS)
    # PostgreSQL: before, the batch, an empty read after it, and one more for the commit's own
    # NOTIFY (10 reads here); now the batch comes from the process's memory (log_tail.py).
    # SQLite tells no process from another: the database file changes with the commit and with
    # the follower's own position, and a tick that sees a change reads the store, so a loaded
    # machine sees up to three reads a commit (tick, wake-up, tick) and this is only a bound.
    expected = 0 if "DATABASE_URL" in store else 3 * COMMITS
    assert running.reads - reads <= expected


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_another_process_s_commits_still_wake_it_at_once(
    store: dict[str, str], running: Seen
) -> None:
    other = application(store)  # its NOTIFY carries another recorder's token
    for n in range(3):
        await asyncio.to_thread(other.open_tickets, 1)
        await eventually(lambda n=n: len(running.seen) == n + 1, timeout=2)  # type: ignore[misc]


# --- the relay's position -------------------------------------------------------------------


async def run_relay(relay: Relay, until: Any) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await eventually(until, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_a_relay_records_its_position_when_it_stops_not_after_every_batch(
    app: BusTestApplication, js: JetStreamContext, tmp_path: Path
) -> None:
    lease = FileLockLease(tmp_path / "relay.lock")
    relay = Relay(app, js, ticket_to_public, lease, poll_interval=0.05, record_interval=60)
    recorded: list[int | None] = []

    async def published_in_batches() -> bool:
        for _ in range(COMMITS):
            await asyncio.to_thread(app.open_tickets, 1)
            await asyncio.sleep(0.2)
        recorded.append(app.recorder.max_tracking_id(RELAY_POSITION))
        return True

    done = asyncio.create_task(published_in_batches())
    await run_relay(relay, done.done)
    assert (await js.stream_info("CASES")).state.messages == COMMITS
    head = app.recorder.max_notification_id() or 0
    assert recorded == [head - COMMITS + 1]  # the first batch only
    assert app.recorder.max_tracking_id(RELAY_POSITION) == head


async def test_a_relay_records_a_pending_position_within_its_interval_while_idle(
    app: BusTestApplication, js: JetStreamContext, tmp_path: Path
) -> None:
    lease = FileLockLease(tmp_path / "relay.lock")
    relay = Relay(app, js, ticket_to_public, lease, poll_interval=0.05, record_interval=0.5)
    await asyncio.to_thread(app.open_tickets, 1)
    head = app.recorder.max_notification_id() or 0

    second: list[object] = []

    def recorded_after_a_second_batch() -> bool:
        if not second and app.recorder.max_tracking_id(RELAY_POSITION) == head:
            second.extend(app.open_tickets(1))  # within the interval of the first's record
        return app.recorder.max_tracking_id(RELAY_POSITION) == head + 1

    await run_relay(relay, recorded_after_a_second_batch)
    assert (await js.stream_info("CASES")).state.messages == 2


# --- the lease ------------------------------------------------------------------------------


class CountedLease(FileLockLease):
    """The real file lease, counting how often the follower asks whether it still holds it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked = 0

    async def still_held(self) -> bool:
        self.asked += 1
        return await super().still_held()


@pytest.mark.parametrize("interval", [None, 1.0])
async def test_a_follower_asks_for_its_lease_once_per_interval(
    app: BusTestApplication, tmp_path: Path, interval: float | None
) -> None:
    """While commits keep coming (one every 30 ms here): every poll interval (50 ms) unless the
    follower says otherwise; the relay and the case index, whose work may be repeated, ask once
    a second."""
    lease = CountedLease(tmp_path / "seen.lock")
    follower = Seen(app, lease)
    follower.lease_check_interval = interval
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    await eventually(lambda: follower.is_active, timeout=10)
    asked_before, started = lease.asked, time.monotonic()
    for _ in range(50):
        await asyncio.to_thread(app.open_tickets, 1)
        await asyncio.sleep(0.03)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    asked, seconds = lease.asked - asked_before, time.monotonic() - started
    assert len(follower.seen) >= 50
    if interval is None:  # 1.5 s at least: 30 poll intervals, fewer rounds on a loaded machine
        assert asked >= 8
    else:
        assert 1 <= asked <= seconds / interval + 2


# --- lingering ------------------------------------------------------------------------------


class Rounds(Seen):
    """The test follower, counting the batches it handled; its linger outlasts the test's five
    commits however loaded the machine (at 0.5 s, a busy CI machine spread them over three)."""

    linger = 2.0

    def __init__(self, app: BusTestApplication, lease: FileLockLease) -> None:
        super().__init__(app, lease)
        self.batches = 0

    async def handle_batch(self, batch: Any) -> None:
        self.batches += 1
        await super().handle_batch(batch)


async def test_a_lingering_follower_takes_the_commits_of_its_linger_in_one_round(
    app: BusTestApplication, tmp_path: Path
) -> None:
    """The case index's way (`linger`): commits 50 ms apart, one round for all five (two if the
    position's recording falls due among them), where a follower that does not linger takes one
    round per commit."""
    follower = Rounds(app, FileLockLease(tmp_path / "rounds.lock"))
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    await eventually(lambda: follower.is_active, timeout=10)
    await asyncio.sleep(0.3)
    before = follower.batches
    for _ in range(COMMITS):
        await asyncio.to_thread(app.open_tickets, 1)
        await asyncio.sleep(0.05)
    await eventually(lambda: len(follower.seen) == COMMITS, timeout=10)
    stop.set()
    await asyncio.wait_for(task, timeout=10)  # a stop cuts a linger short
    assert follower.batches - before <= 2, follower.batches - before


class BusyRounds(Rounds):
    """The relay's way (`linger_while_busy`): it lingers only while commits keep coming, and
    records its position seldom (the relay: once a second; here not during the test)."""

    linger_while_busy = True
    record_interval = 60.0


async def test_a_follower_lingering_while_busy_takes_a_quiet_spells_first_commit_at_once(
    app: BusTestApplication, tmp_path: Path
) -> None:
    """The first commit after a quiet spell is handled without the 2 s linger; the commits
    that follow it while the follower is busy wait for the linger and go in one round."""
    follower = BusyRounds(app, FileLockLease(tmp_path / "rounds.lock"))
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    await eventually(lambda: follower.is_active, timeout=10)
    await asyncio.sleep(1.5)  # quiet for longer than BUSY_WINDOW
    committed = time.monotonic()
    await asyncio.to_thread(app.open_tickets, 1)
    await eventually(lambda: len(follower.seen) == 1, timeout=10)
    first_took = time.monotonic() - committed
    before = follower.batches
    for _ in range(COMMITS - 1):
        await asyncio.to_thread(app.open_tickets, 1)
        await asyncio.sleep(0.05)
    await eventually(lambda: len(follower.seen) == COMMITS, timeout=10)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert first_took < 1.5, first_took  # not lingered on (2 s)
    assert follower.batches - before <= 2, follower.batches - before
