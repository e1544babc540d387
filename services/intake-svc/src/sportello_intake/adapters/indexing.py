"""Keeps the search index in step with the event store by following intake's own log."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sportello_shared.follower import Batch, LogFollower

from ..domain import Case
from ..search import CaseRow

if TYPE_CHECKING:
    from sportello_shared.runtime import Runtime

    from ..application import IntakeApplication

CASE_TOPIC_PREFIX = "sportello_intake.domain:Case."


class CaseIndexer(LogFollower):
    position_name = "case-index"

    async def handle_batch(self, batch: Batch) -> None:
        app: IntakeApplication = self._app  # type: ignore[assignment]
        events: dict[UUID, list[Any]] = {}
        for notification, domain_event in batch:
            if notification.topic.startswith(CASE_TOPIC_PREFIX):
                events.setdefault(UUID(str(notification.originator_id)), []).append(domain_event)
        if events:
            rows = await asyncio.to_thread(_current_rows, app, events)
            await asyncio.to_thread(app.index.upsert, rows)


def _current_rows(app: IntakeApplication, events: dict[UUID, list[Any]]) -> list[CaseRow]:
    """A case born in this batch is replayed from the batch; older ones are read back.

    Under load nearly every case is registered and indexed in the same batch, so the index
    costs no extra reads of the event store.
    """
    rows = []
    for case_id, case_events in events.items():
        if case_events[0].originator_version == Case.INITIAL_VERSION:
            case: Case | None = None
            for domain_event in case_events:
                case = domain_event.mutate(case)
            assert case is not None
        else:
            case = app.get_case(case_id)
        rows.append(CaseRow.of(case))
    return rows


async def index_cases(runtime: Runtime[IntakeApplication], stop: asyncio.Event) -> None:
    indexer = CaseIndexer(
        runtime.app, runtime.lease("case-index"), poll_interval=runtime.settings.relay_poll_interval
    )
    await indexer.run(stop)
