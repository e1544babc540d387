"""Keeps the search index in step with the event store by following intake's own log."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from uuid import UUID

from sportello_shared.follower import Batch, LogFollower

from ..search import CaseRow

if TYPE_CHECKING:
    from sportello_shared.runtime import Runtime

    from ..application import IntakeApplication

CASE_TOPIC_PREFIX = "sportello_intake.domain:Case."


class CaseIndexer(LogFollower):
    position_name = "case-index"

    async def handle_batch(self, batch: Batch) -> None:
        app: IntakeApplication = self._app  # type: ignore[assignment]
        touched = {n.originator_id for n, _ in batch if n.topic.startswith(CASE_TOPIC_PREFIX)}
        if touched:
            rows = await asyncio.to_thread(_current_rows, app, touched)
            await asyncio.to_thread(app.index.upsert, rows)


def _current_rows(app: IntakeApplication, case_ids: set[UUID | str]) -> list[CaseRow]:
    return [CaseRow.of(app.get_case(UUID(str(case_id)))) for case_id in case_ids]


async def index_cases(runtime: Runtime[IntakeApplication], stop: asyncio.Event) -> None:
    indexer = CaseIndexer(
        runtime.app, runtime.lease("case-index"), poll_interval=runtime.settings.relay_poll_interval
    )
    await indexer.run(stop)
