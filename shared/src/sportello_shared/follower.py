"""Following an Application's own notification log, in order, from a durably recorded position.

The relay (to JetStream), notify's mail dispatcher and intake's search index are all this loop:
read the next batch after the recorded position, do something with it, then record the position
as a tracking row in the service's own store. A crash in between repeats the batch, so what a
follower does must be idempotent (JetStream Msg-Ids, deterministic notification ids, upserts).

While a follower holds its lease nobody else moves its position, so it keeps the position in
memory (read from the store when it takes the lease) instead of asking the store before every
read. A batch shorter than `batch_size` reached the end of the log: unless a commit woke the
follower meanwhile, it waits for the next one instead of reading the log again to find nothing
(other processes' commits wake it through the store: store_changes.py). Woken by its own
process's commits only, it takes what follows its position from that process's memory
(log_tail.py) rather than reading and decoding it again.

A follower whose work is idempotent (the relay: JetStream's Msg-Ids; the case index: upserts of
the newest version; the dispatcher: a settled notification is skipped) records its position at
most every `record_interval` seconds: a crash then repeats that much work once, and a busy
follower commits once a second instead of once per batch. The position is recorded when
the follower stops, before its lease is released. Such a follower also asks whether it still
holds its lease once a second (`lease_check_interval`) rather than every poll interval: the
lease is lost only with its database connection, and the second it may go on doing work the
next holder repeats is work that may be repeated.

A follower that nobody waits on (the case index: listings may lag, reads by reference do not
wait on it) may `linger` after a commit wakes it, so that the commits of that time are one round
(one read, one upsert, one transaction) rather than one round each. One that somebody waits on
(the relay: every hop after it) lingers only while commits keep coming (`linger_while_busy`):
the first commit after a quiet second goes at once, as a consumer's first message does
(bus/fetching.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from typing import Any

from eventsourcing.persistence import Notification, Tracking

from .application import ServiceApplication
from .bus.fetching import BUSY_WINDOW
from .bus.leases import Lease
from .logging import get_logger
from .store_changes import store_changes

log = get_logger(__name__)

Batch = list[tuple[Notification, Any]]


class LogFollower(ABC):
    position_name: str
    record_interval: float = 0.0  # seconds; 0: the position is recorded after every batch
    # seconds between two questions to the lease (a query on its connection); None: every poll
    # interval. A follower whose work is idempotent may go on a little longer after losing it.
    lease_check_interval: float | None = None
    # seconds a follower woken by a commit waits for more before it reads: one round for the
    # commits of that time instead of one each (a view nobody waits on: the case index)
    linger: float = 0.0
    # linger only when the last round that handled something is less than BUSY_WINDOW old
    linger_while_busy = False

    def __init__(
        self,
        app: ServiceApplication,
        lease: Lease,
        *,
        batch_size: int = 200,
        poll_interval: float = 0.2,
        safety_poll: float = 5.0,
        record_interval: float | None = None,
    ) -> None:
        self._app = app
        self._lease = lease
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._safety_poll = max(safety_poll, poll_interval)  # a read at least this often
        self._changes = store_changes(app.recorder)
        self._wakeup = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._position: int | None = None  # as recorded by this follower; None: ask the store
        self._record_interval = self.record_interval if record_interval is None else record_interval
        self._unrecorded: int | None = None  # handled up to here, not yet recorded
        self._recorded_at = float("-inf")
        self._lease_checked_at = float("-inf")
        self._handled_at = float("-inf")
        # something this process did not commit may follow the position: read the store
        self._store_changed = True
        self.is_active = False

    @abstractmethod
    async def handle_batch(self, batch: Batch) -> None:
        """Do this follower's work for a batch of (notification, domain event), in log order."""

    def wake(self) -> None:
        """Thread-safe: the writer thread calls it after each commit, so nobody waits a poll."""
        self._loop.call_soon_threadsafe(self._wakeup.set)

    def wake_for_the_store(self) -> None:
        """Thread-safe: another process committed to the store."""
        self._loop.call_soon_threadsafe(self._store_woke)

    def _store_woke(self) -> None:
        self._store_changed = True
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Only the lease holder follows: one active follower of each kind per service."""
        await self._take_lease()
        stop_listening = self._app.on_saved(self.wake)
        stop_watching = self._changes.subscribe(self.wake_for_the_store)  # others' commits
        log.info("follower.active", follower=self.position_name)
        try:
            while not stop.is_set():
                covered = await self.follow_once()
                if covered >= self._batch_size or (covered and self._wakeup.is_set()):
                    continue  # more than one batch waited, or a commit came during this one
                if not await self._lease_still_held():
                    log.warning("follower.lease_lost", follower=self.position_name)
                    self.is_active = False
                    await self._take_lease()
                await self._idle(stop)
        finally:
            self.is_active = False
            stop_listening()
            stop_watching()
            await self._record_before_leaving(stop)
            await self._lease.release()

    async def _record_before_leaving(self, stop: asyncio.Event) -> None:
        """On a clean stop, within two seconds. After a crash (the store or the bus is down, as
        a rule) nothing: the restart must not wait for the store's retries; the next follower
        repeats the unrecorded work, which is what a crash means anyway."""
        if not stop.is_set():
            return
        try:
            await asyncio.wait_for(self.record_position(), timeout=2.0)
        except Exception:  # the store is down: the next follower repeats the unrecorded work
            log.warning("follower.position_unrecorded", follower=self.position_name)

    async def _lease_still_held(self) -> bool:
        """Asked at most once per `lease_check_interval` (a query on the lease's connection), not
        after every round: under load a round ends with every commit."""
        now = time.monotonic()
        interval = self.lease_check_interval or self._poll_interval
        if now - self._lease_checked_at < interval:
            return True
        self._lease_checked_at = now
        return await self._lease.still_held()

    async def _take_lease(self) -> None:
        await self._lease.acquire()
        # another follower may have moved the position while this one waited, and recorded
        # what this one had not: both are read again
        self._position = self._unrecorded = None
        self._store_changed = True
        self.is_active = True

    async def follow_once(self) -> int:
        """Handle the next batch; returns how many notifications it covered."""
        self._wakeup.clear()  # before the read: a commit during it wakes the next idle at once
        batch = self._from_the_tail()
        if not batch:
            self._store_changed = False  # before the read, as the wake-up
            batch = await asyncio.to_thread(self._next_batch)
        if batch:
            await self.handle_batch(batch)
            self._position = self._unrecorded = batch[-1][0].id
            self._handled_at = time.monotonic()
        if self._recording_due():
            await self.record_position()
        return len(batch)

    def _recording_due(self) -> bool:
        elapsed = time.monotonic() - self._recorded_at
        return self._unrecorded is not None and elapsed >= self._record_interval

    async def record_position(self) -> None:
        """Record the position after the last handled batch, if not recorded yet."""
        position = self._unrecorded
        if position is None:
            return
        await asyncio.to_thread(
            self._app.recorder.insert_tracking, Tracking(self.position_name, position)
        )
        self._recorded_at = time.monotonic()
        if self._unrecorded == position:
            self._unrecorded = None

    def _from_the_tail(self) -> Batch:
        """What follows the position, from this process's memory, if nothing else may."""
        if self._store_changed or self._position is None:
            return []
        return self._app.log_tail.after(self._position, self._batch_size)

    def _next_batch(self) -> Batch:
        """Read and decode off the event loop: decoding may read a data key from the store
        (personal_data/vault/), and a frozen store must not freeze the service's requests."""
        recorder = self._app.recorder
        if self._position is None:
            self._position = recorder.max_tracking_id(self.position_name) or 0
        notifications = recorder.select_notifications(
            start=self._position, limit=self._batch_size, inclusive_of_start=False
        )
        return [(n, self._app.mapper.to_domain_event(n)) for n in notifications]

    async def lag(self) -> int:
        recorder = self._app.recorder
        position = self._position
        if position is None:
            position = await asyncio.to_thread(recorder.max_tracking_id, self.position_name) or 0
        head = await asyncio.to_thread(recorder.max_notification_id) or 0
        return max(head - position, 0)

    async def _idle(self, stop: asyncio.Event) -> None:
        """Until woken, or until the store says something may have changed (checked every poll
        interval, without reading it: store_changes.py), or `safety_poll` seconds at most; then
        the linger, if this follower lingers now (a commit is a commit, whoever told of it)."""
        waited = 0.0
        while not stop.is_set():
            if await self._woken_within(stop, self._poll_interval):
                break
            waited += self._poll_interval
            if waited >= self._safety_poll or self._changes.maybe_changed():
                self._store_changed = True
                break
            if self._due() or self._recording_due():
                return
        if self._lingers():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.linger)

    def _lingers(self) -> bool:
        if self.linger <= 0:
            return False
        return not self.linger_while_busy or time.monotonic() - self._handled_at < BUSY_WINDOW

    def _due(self) -> bool:
        """Work of the follower's own that falls due with time, not with a commit (none here)."""
        return False

    async def _woken_within(self, stop: asyncio.Event, seconds: float) -> bool:
        waiters = {asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stop.wait())}
        done, pending = await asyncio.wait(
            waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        return bool(done)
