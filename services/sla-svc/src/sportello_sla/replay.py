"""Replay: rebuild the clocks from the event log into memory, and digest them.

The live state is a projection of the CASES and NOTIFICATIONS streams; a replay feeds the same
messages, in stream order, to the reactions of a brand-new SlaApplication whose aggregates live
in a dict and whose board takes their events directly (nothing is recorded, so nothing is
relayed or published), and computes the same digest as the live board. Equal digests say the
live state is exactly what the log implies.

CASES is replayed before NOTIFICATIONS: nothing on CASES waits for a notification, and the clock
keeps the earliest stop of a run whatever the order the two streams arrive in.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import ValidationError
from sportello_contracts import CloudEvent, UnknownEventType, parse_payload
from sportello_shared.application import Incoming, Rejected, RetryLater
from sportello_shared.changes import Changes

from .application import SlaApplication
from .catalogue import SlaCatalogue

# Nothing is recorded in it (see _InMemorySla); eventsourcing only needs a store to start.
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@dataclass
class ReplayResult:
    events: int
    seconds: float
    clocks: int
    digest: str
    as_of: datetime
    skipped: int
    deferred_unresolved: int
    per_stream: dict[str, int] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return round(self.events / self.seconds, 1) if self.seconds > 0 else float(self.events)


class _InMemorySla(SlaApplication):
    """The live application's reactions (the very same methods) over aggregates held in a dict.

    Live, each message's new events are encoded, recorded with a tracking row, read back from
    the notification log by the board and decoded again; a replay that keeps nothing needs none
    of that: the aggregates stay as the reactions left them (one writer, no other replica, so
    there is no version to check) and the board takes their events as they are. A reaction
    either collects what it changed or raises before changing anything (an unknown case is found
    before any clock moves), so what a failed reaction touched is simply not kept.
    """

    def __init__(self, catalogue: SlaCatalogue) -> None:
        super().__init__(catalogue, env=dict(IN_MEMORY))
        self._aggregates: dict[UUID, Aggregate] = {}
        # bound once: the single-dispatch descriptor builds a new wrapper on every access
        self._react = self.react

    def apply(self, incoming: Incoming) -> None:
        changes = Changes()
        self._react(incoming.payload, incoming, changes)
        for aggregate_id, aggregate in changes.aggregates.items():
            assert isinstance(aggregate, Aggregate)
            self._aggregates[aggregate_id] = aggregate
        # nobody sweeps a replay: its board needs rows, not what falls due when
        self.board.apply(changes.events, schedule=False)

    def _find(self, aggregate_id: UUID) -> object | None:
        return self._aggregates.get(aggregate_id)


class Replayer:
    def __init__(self, catalogue: SlaCatalogue) -> None:
        self.app = _InMemorySla(catalogue)
        self.events = 0
        self.skipped = 0
        self.per_stream: dict[str, int] = {}
        self._deferred: list[Incoming] = []
        self._started = time.perf_counter()

    def feed(self, stream: str, messages: Iterable[bytes]) -> int:
        """Process raw CloudEvents from one stream, in order; returns how many were read."""
        count = 0
        for raw in messages:
            count += 1
            incoming = self._parse(raw)
            if incoming is not None:
                self._process(incoming)
        self.events += count
        self.per_stream[stream] = self.per_stream.get(stream, 0) + count
        return count

    def finish(self, now: datetime) -> ReplayResult:
        """Retry what overtook its case.received once more, then digest the state as of `now`."""
        deferred, self._deferred = self._deferred, []
        for incoming in deferred:
            self._process(incoming)
        board = self.app.board
        return ReplayResult(
            events=self.events,
            seconds=time.perf_counter() - self._started,
            clocks=len(board.rows()),
            digest=board.digest(now),
            as_of=now,
            skipped=self.skipped,
            deferred_unresolved=len(self._deferred),
            per_stream=dict(self.per_stream),
        )

    def close(self) -> None:
        self.app.close()

    def _parse(self, raw: bytes) -> Incoming | None:
        try:
            envelope = CloudEvent.from_bytes(raw)
            return Incoming(envelope, parse_payload(envelope))
        except (UnknownEventType, ValidationError, ValueError):
            self.skipped += 1  # the live consumer ignores or dead-letters these too
            return None

    def _process(self, incoming: Incoming) -> None:
        try:
            self.app.apply(incoming)
        except RetryLater:
            self._deferred.append(incoming)
        except Rejected:
            self.skipped += 1
