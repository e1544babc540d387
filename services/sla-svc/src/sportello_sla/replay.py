"""Replay: rebuild the clocks from the event log into a fresh in-memory store, and digest them.

The live state is a projection of the CASES and NOTIFICATIONS streams; a replay feeds the same
messages, in stream order, to a brand-new SlaApplication on eventsourcing's in-memory store (no
relay, so it publishes nothing) and computes the same digest as the live board. Equal digests say
the live state is exactly what the log implies.

CASES is replayed before NOTIFICATIONS: nothing on CASES waits for a notification, and the clock
keeps the earliest stop of a run whatever the order the two streams arrive in.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from eventsourcing.persistence import Tracking
from pydantic import ValidationError
from sportello_shared.application import Incoming, Rejected, RetryLater
from sportello_shared.contracts import CloudEvent, UnknownEventType, parse_payload

from .application import SlaApplication
from .catalogue import SlaCatalogue

# One writer and no other replica: an aggregate cache is safe and spares rebuilding each clock
# from its events on every message. No deep copies either: a reaction either saves what it
# changed or raises before changing anything (an unknown case is found before any clock moves).
IN_MEMORY = {
    "PERSISTENCE_MODULE": "eventsourcing.popo",
    "AGGREGATE_CACHE_MAXSIZE": "1000000",
    "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
}


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


class Replayer:
    def __init__(self, catalogue: SlaCatalogue) -> None:
        self.app = SlaApplication(catalogue, env=dict(IN_MEMORY))
        self.events = 0
        self.skipped = 0
        self.per_stream: dict[str, int] = {}
        self._deferred: list[Incoming] = []
        self._sequence = 0
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
        board.catch_up()
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
        self._sequence += 1
        try:
            self.app.process_incoming(incoming, Tracking("replay", self._sequence))
        except RetryLater:
            self._deferred.append(incoming)
        except Rejected:
            self.skipped += 1
