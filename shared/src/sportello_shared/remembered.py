"""The events of the aggregates a consumer read or wrote last, kept while no other process commits.

A consumer's batch reads the aggregates its messages name in one query (prefetch.py). The
messages of one case come one after the other (received, assigned, the acknowledgment sent...),
so each batch read back what this very process wrote a moment earlier, and decoded it again.
An application that opts in (`ServiceApplication.remembers_aggregates`) keeps, per aggregate,
every event it read or committed, including "no events" for one that does not exist yet, and
answers a batch's reads from here while `StoreChanges.others()` has not moved: no other process
(replica, admin command) has committed since. Anything else, a failed commit or no signal at all
(SQLite, no listener), and it reads the store as before.

A commit's NOTIFY arrives a moment after the commit, so what is kept may be that moment stale: a
write on a stale aggregate fails its version check (and everything kept is forgotten, see
`forget`); a read on it races with the other process's change as a read from the store does.
Kept events are the committed events themselves, never changed: every read rebuilds a fresh
aggregate from them (prefetch.lookup). Aggregates whose `apply` keeps a mutable object taken
from an event must not opt in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Recording

CAPACITY = 20_000  # aggregates: a few minutes of a busy consumer's cases


class Remembered:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._events: OrderedDict[UUID, list[Any]] = OrderedDict()
        self._others: int | None = None  # the other processes' commits when this was true
        self._lock = threading.Lock()

    def known(self, ids: Iterable[UUID], others: int | None) -> dict[UUID, list[Any]]:
        """The kept events of those of `ids` this holds, if nobody else committed meanwhile."""
        with self._lock:
            if others is None or others != self._others:
                self._events.clear()
                self._others = others
                return {}
            return {i: list(self._events[i]) for i in ids if i in self._events}

    def keep_read(self, events: Mapping[UUID, list[Any]], others: int | None) -> None:
        """What a read found (`others` taken before it): kept unless another commit came since."""
        with self._lock:
            if others is None or others != self._others:
                return
            for aggregate_id, found in events.items():
                self._put(aggregate_id, list(found))

    def keep_written(self, recordings: Sequence[Recording[Any]]) -> None:
        """This process's commit: each event follows its aggregate's kept ones, or starts it."""
        with self._lock:
            for recording in recordings:
                event = recording.domain_event
                kept = self._events.get(event.originator_id)
                last = kept[-1].originator_version if kept else 0
                if kept is not None and last + 1 == event.originator_version:
                    kept.append(event)
                    self._events.move_to_end(event.originator_id)
                elif kept is None and event.originator_version == 1:
                    self._put(event.originator_id, [event])
                else:  # not the whole history: read it again next time
                    self._events.pop(event.originator_id, None)

    def forget(self) -> None:
        """A commit failed (another process wrote first) or may have: trust nothing kept."""
        with self._lock:
            self._events.clear()
            self._others = None

    def _put(self, aggregate_id: UUID, events: list[Any]) -> None:
        self._events[aggregate_id] = events
        self._events.move_to_end(aggregate_id)
        while len(self._events) > self._capacity:
            self._events.popitem(last=False)
