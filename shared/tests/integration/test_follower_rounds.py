"""A follower reads its log to the end and then waits for the next commit: no empty read after
each batch, and no commit missed, even one made while a batch is handled. On SQLite and
PostgreSQL; the poll interval is long, so only the wake-ups of commits can start a round."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from sportello_shared.bus.leases import FileLockLease
from sportello_shared.follower import Batch, LogFollower
from sportello_shared.persistence import ensure_schema
from sportello_shared.settings import ServiceSettings

from .conftest import BusTestApplication

POLL = 30.0  # never reached in these tests


class Counting(LogFollower):
    position_name = "counting"

    def __init__(self, app: BusTestApplication, lease_path: Path, batch_size: int) -> None:
        super().__init__(app, FileLockLease(lease_path), batch_size=batch_size, poll_interval=POLL)
        self.reads = 0
        self.seen: list[int] = []
        self.during_batch: Callable[[], None] | None = None

    def _next_batch(self) -> Batch:
        self.reads += 1
        return super()._next_batch()

    async def handle_batch(self, batch: Batch) -> None:
        self.seen += [notification.id for notification, _ in batch]
        if self.during_batch is not None:
            commit, self.during_batch = self.during_batch, None
            await asyncio.to_thread(commit)  # a commit while this batch is handled


@pytest.fixture
def app(store: dict[str, str]) -> BusTestApplication:
    settings = ServiceSettings(service_name="bustest", **store)  # type: ignore[arg-type]
    ensure_schema(settings)
    return BusTestApplication(env=settings.eventsourcing_env())


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the follower never got there"
        await asyncio.sleep(0.01)


async def test_a_short_batch_is_followed_by_a_wait_not_by_an_empty_read(
    app: BusTestApplication, tmp_path: Path
) -> None:
    app.open_tickets(3)
    follower = Counting(app, tmp_path / "lease", batch_size=10)
    stop = asyncio.Event()
    running = asyncio.create_task(follower.run(stop))
    try:
        await until(lambda: len(follower.seen) == 3)
        await asyncio.sleep(0.3)
        assert follower.reads == 1  # the log was read to its end once; nothing read since

        def one_more() -> None:
            app.open_tickets(1)

        follower.during_batch = one_more
        await asyncio.to_thread(app.open_tickets, 2)  # wakes it; its batch commits one more
        await until(lambda: len(follower.seen) == 6)
        await asyncio.sleep(0.3)
        assert follower.seen == list(range(1, 7))
        assert follower.reads == 3  # one round per wake-up, the second one's commit included
        assert app.recorder.max_tracking_id("counting") == 6
    finally:
        stop.set()
        await running


async def test_full_batches_are_read_one_after_another(
    app: BusTestApplication, tmp_path: Path
) -> None:
    app.open_tickets(5)
    follower = Counting(app, tmp_path / "lease", batch_size=2)
    stop = asyncio.Event()
    running = asyncio.create_task(follower.run(stop))
    try:
        await until(lambda: len(follower.seen) == 5)
        await asyncio.sleep(0.3)
        assert follower.reads == 3  # 2 + 2 + 1: the short one ends the round
    finally:
        stop.set()
        await running


class CountedLease(FileLockLease):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.checks = 0
        self.lost = False
        self.reacquired = 0

    async def still_held(self) -> bool:
        self.checks += 1
        return not self.lost and await super().still_held()

    async def acquire(self) -> None:
        if self.lost:  # still this process's file lock: taken again at once
            self.lost = False
            self.reacquired += 1
            return
        await super().acquire()


async def test_the_lease_is_checked_at_most_once_per_poll_between_rounds(
    app: BusTestApplication, tmp_path: Path
) -> None:
    lease = CountedLease(tmp_path / "lease")
    follower = Counting(app, tmp_path / "unused", batch_size=10)
    follower._lease = lease
    follower._poll_interval = 1.0
    app.open_tickets(1)
    stop = asyncio.Event()
    running = asyncio.create_task(follower.run(stop))
    try:
        await until(lambda: len(follower.seen) == 1)
        for count in range(2, 8):  # six commits, each its own round, well within a poll interval
            await asyncio.to_thread(app.open_tickets, 1)
            await until(lambda: len(follower.seen) == count)  # noqa: B023
        assert follower.reads == 7 and lease.checks <= 2, (follower.reads, lease.checks)

        lease.lost = True  # noticed within about a poll interval, even with no round to do
        await until(lambda: lease.reacquired == 1, timeout=3.0)
    finally:
        stop.set()
        await running
