"""Replay from JetStream: the CASES and NOTIFICATIONS streams into a fresh Replayer.

Also audits the SLA stream: every `sla.breached` sla-svc ever published, so a replay shows
whether any clock run was breached twice (it must not be: ids are `<clock id>:<version>`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nats.js import JetStreamContext
from sportello_contracts import CloudEvent
from sportello_contracts.subjects import CASES_STREAM, NOTIFICATIONS_STREAM, SLA_STREAM

from ..catalogue import SlaCatalogue
from ..replay import Replayer, ReplayResult
from .stream_reader import last_sequence, read_stream

REPLAYED = ((CASES_STREAM, "cases.>"), (NOTIFICATIONS_STREAM, "notifications.>"))
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class BreachAudit:
    published: int
    runs_breached_twice: int


async def total_messages(js: JetStreamContext) -> int:
    return sum([await last_sequence(js, stream) for stream, _ in REPLAYED])


async def replay_streams(
    js: JetStreamContext,
    catalogue: SlaCatalogue,
    as_of: Callable[[], datetime],
    progress: Progress | None = None,
) -> ReplayResult:
    """Rebuild the clocks from the streams; the digest is taken as of `as_of()` at the end.

    Each batch is applied on a worker thread while the event loop goes on receiving the next
    ones (`read_stream` reads a few batches ahead), so the wait for the server overlaps with
    the processing.
    """
    replayer = await asyncio.to_thread(Replayer, catalogue)
    try:
        for stream, subject in REPLAYED:
            async for batch in read_stream(js, stream, subject):
                await asyncio.to_thread(replayer.feed, stream, batch)
                if progress:
                    progress(stream, len(batch))
        return await asyncio.to_thread(replayer.finish, as_of())
    finally:
        await asyncio.to_thread(replayer.close)


@dataclass(frozen=True)
class ReplayCheck:
    """A replay of the streams and the audit of what was published: what `sportello-sla replay`
    and `POST /admin/replay` both run, then compare with the live state's digest."""

    result: ReplayResult
    audit: BreachAudit

    def matches(self, live_digest: str) -> bool:
        return self.result.digest == live_digest


async def replay_and_audit(
    js: JetStreamContext,
    catalogue: SlaCatalogue,
    as_of: Callable[[], datetime],
    progress: Progress | None = None,
) -> ReplayCheck:
    """The replay use case: rebuild the clocks, then audit the published breaches."""
    result = await replay_streams(js, catalogue, as_of, progress)
    return ReplayCheck(result, await audit_breaches(js))


async def audit_breaches(js: JetStreamContext) -> BreachAudit:
    runs: Counter[tuple[str, str, str]] = Counter()
    async for batch in read_stream(js, SLA_STREAM, "sla.*.*.breached"):
        for raw in batch:
            event = CloudEvent.from_bytes(raw)
            runs[(event.subject, event.data["standard"], event.data["started_at"])] += 1
    return BreachAudit(sum(runs.values()), sum(1 for n in runs.values() if n > 1))
