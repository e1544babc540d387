"""Fresh cases kept in memory for the personal-data answers (`personal.py`).

Right after a case is registered, routing and notify each ask intake for some of its personal data
(the description and location; the citizen to write to): each answer read the case back from the
store, decrypting its events and reading the citizen's key, on the writer thread that also
registers. The case as it was registered is kept here instead, for a short time:

- bounded: the last `max_cases` registered (least recently used out first), each for `ttl` s;
- exact in this process: every commit that touches a case drops it (`IntakeApplication._notify`),
  and an erasure here drops them all before it deletes any key;
- an entry is used only while the vault does not say the citizen's key is erased (the vault's
  own view: an erasure by another replica takes effect here within its KEY_CACHE_SECONDS, as for
  every read of sealed data), and only for requests about an event it holds (a newer one: the
  store is read);
- a change another replica or process makes to a fresh case reaches this replica's answers
  within `ttl` at most, below the vault's bound.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from .domain import Case

DEFAULT_MAX_CASES = 4096
DEFAULT_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class FreshCase:
    case: Case  # never changed after its registration: a later change drops the entry
    events: Mapping[int, Any]  # the case's events by version, as registered
    kept_at: float


class FreshCases:
    def __init__(
        self,
        max_cases: int = DEFAULT_MAX_CASES,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_cases = max_cases
        self._ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[UUID, FreshCase] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, cases: Iterable[Case], events: Iterable[Any]) -> None:
        """Cases just committed, with the events that commit recorded (of these and others)."""
        if self._max_cases <= 0:
            return
        by_case: dict[UUID, dict[int, Any]] = {}
        for event in events:
            by_case.setdefault(_uuid(event.originator_id), {})[event.originator_version] = event
        now = self._clock()
        with self._lock:
            for case in cases:
                self._entries[case.id] = FreshCase(case, by_case.get(case.id, {}), now)
                self._entries.move_to_end(case.id)
            while len(self._entries) > self._max_cases:
                self._entries.popitem(last=False)

    def get(self, case_id: UUID) -> FreshCase | None:
        with self._lock:
            entry = self._entries.get(case_id)
            if entry is None:
                return None
            if self._clock() - entry.kept_at > self._ttl:
                del self._entries[case_id]
                return None
            self._entries.move_to_end(case_id)
            return entry

    def drop(self, aggregate_ids: Iterable[UUID | str]) -> None:
        with self._lock:
            for aggregate_id in aggregate_ids:
                try:
                    self._entries.pop(_uuid(aggregate_id), None)
                except ValueError:
                    continue  # not a case's id

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
