"""Keeps the search index in step with the event store by following intake's own log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prometheus_client import Gauge, Histogram
from sportello_shared.bus.leases import Lease
from sportello_shared.follower import Batch, LogFollower

from ..domain import Case
from ..recent import INDEX_POSITION
from ..search import CaseRow

if TYPE_CHECKING:
    from sportello_shared.runtime import Runtime

    from ..application import IntakeApplication

CASE_TOPIC_PREFIX = "sportello_intake.domain:Case."

LAG_EVENTS = Gauge(
    "sportello_case_index_lag_events",
    "Events in intake's log that the case index has not applied yet (measured each round)",
)
DELAY = Histogram(
    "sportello_case_index_delay_seconds",
    "From a case event's commit to the case index showing it",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


class CaseIndexer(LogFollower):
    position_name = INDEX_POSITION
    # An upsert keeps the newest version of a row: a batch indexed again after a crash changes
    # nothing, so the position is recorded once a second, not after every batch.
    record_interval = 1.0
    lease_check_interval = 1.0  # idempotent work: see follower.py
    # Listings and searches may lag (docs/architecture.md; reads by reference never wait on the
    # index): the commits of a quarter second are indexed in one round, not one upsert each.
    linger = 0.25

    def __init__(
        self,
        app: IntakeApplication,
        lease: Lease,
        *,
        poll_interval: float,
        delay_s: float = 0.0,
        safety_poll: float = 5.0,
    ) -> None:
        super().__init__(app, lease, poll_interval=poll_interval, safety_poll=safety_poll)
        self._delay_s = delay_s

    async def follow_once(self) -> int:
        covered = await super().follow_once()
        # a short batch read the log to its end: no lag then, and no two queries to say so
        LAG_EVENTS.set(await self.lag() if covered >= self._batch_size else 0)
        return covered

    async def handle_batch(self, batch: Batch) -> None:
        app: IntakeApplication = self._app  # type: ignore[assignment]
        events: dict[UUID, list[Any]] = {}
        for notification, domain_event in batch:
            if notification.topic.startswith(CASE_TOPIC_PREFIX):
                events.setdefault(UUID(str(notification.originator_id)), []).append(domain_event)
        if events:
            if self._delay_s:  # INDEX_DELAY_S: an index that lags, on purpose (tests, drills)
                await asyncio.sleep(self._delay_s)
            rows = await asyncio.to_thread(_current_rows, app, events)
            await asyncio.to_thread(app.index.upsert, rows)
            now = datetime.now(UTC)
            for case_events in events.values():
                for domain_event in case_events:
                    DELAY.observe(max((now - domain_event.timestamp).total_seconds(), 0.0))


def _current_rows(app: IntakeApplication, events: dict[UUID, list[Any]]) -> list[CaseRow]:
    """A case born in this batch is replayed from the batch; one still fresh here (registered
    by this replica, fresh_cases.py) is brought up to the batch's events from memory; older
    ones are read back.

    Under load nearly every case is registered and indexed in the same batch, and routing's
    assignment follows within seconds, so the index costs no extra reads of the event store.
    """
    rows = []
    for case_id, case_events in events.items():
        if case_events[0].originator_version == Case.INITIAL_VERSION:
            case: Case | None = None
            for domain_event in case_events:
                case = domain_event.mutate(case)
            assert case is not None
        else:
            case = app.fresh_cases.case_after(case_id, case_events) or app.get_case(case_id)
        rows.append(CaseRow.of(case))
    return rows


async def index_cases(runtime: Runtime[IntakeApplication], stop: asyncio.Event) -> None:
    indexer = CaseIndexer(
        runtime.app,
        runtime.lease("case-index"),
        poll_interval=runtime.settings.relay_poll_interval,
        delay_s=float(getattr(runtime.settings, "index_delay_s", 0.0)),
        safety_poll=runtime.settings.follower_safety_poll,
    )
    await indexer.run(stop)
