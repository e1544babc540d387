"""Fresh cases kept in memory for the personal-data answers (`personal.py`).

Right after a case is registered, routing and notify each ask intake for some of its personal data
(the description and location; the citizen to write to): each answer read the case back from the
store, decrypting its events and reading the citizen's key, on the writer thread that also
registers. The case as it was registered is kept here instead, for a short time:

- bounded: the last `max_cases` registered (least recently used out first), each for `ttl` s;
- exact in this process: every commit that touches a case advances it through the events that
  commit recorded, on a copy (`IntakeApplication._notify`: routing's assignment, right after the
  registration, no longer sends notify's request to the store), or drops it when they do not
  follow on from the version held; an erasure here drops them all before it deletes any key;
- an entry is used only while the vault does not say the citizen's key is erased (the vault's
  own view: an erasure by another replica takes effect here within its KEY_CACHE_SECONDS, as for
  every read of sealed data), and only for requests about an event it holds (a newer one: the
  store is read);
- a change another replica or process makes to a fresh case reaches this replica's answers
  within `ttl` at most (counted from the registration, not from the last advance), below the
  vault's bound.

The case index uses them too (`case_after`): a case registered here is brought up to an indexed
batch's events from memory instead of being read back from the store.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from copy import copy, deepcopy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from .domain import Case

DEFAULT_MAX_CASES = 4096
DEFAULT_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class FreshCase:
    case: Case  # never changed in place: a commit replaces the entry with an advanced copy
    events: Mapping[int, Any]  # the case's events by version, since its registration
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

    def advance(self, events: Iterable[Any]) -> None:
        """A commit here recorded `events`: each fresh case they touch is replaced by a copy
        advanced through them, or dropped when they do not follow on from its version."""
        by_case: dict[UUID, list[Any]] = {}
        for event in events:
            try:
                by_case.setdefault(_uuid(event.originator_id), []).append(event)
            except ValueError:
                continue  # not a case's id
        if not by_case:
            return
        with self._lock:
            for case_id, case_events in by_case.items():
                entry = self._entries.get(case_id)
                if entry is None:
                    continue
                advanced = _advanced(entry.case, case_events)
                if advanced is None:
                    del self._entries[case_id]
                    continue
                held = {**entry.events, **{e.originator_version: e for e in case_events}}
                self._entries[case_id] = FreshCase(advanced, held, entry.kept_at)

    def case_after(self, case_id: UUID, events: Iterable[Any]) -> Case | None:
        """The fresh case brought up to `events` (the case's, in order, from the log), as a copy
        of its own; None when it is not here or they leave a gap after what is held."""
        entry = self.get(case_id)
        return None if entry is None else _advanced(entry.case, events, always_copy=True)

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


def _advanced(case: Case, events: Iterable[Any], always_copy: bool = False) -> Case | None:
    """A copy of `case` with the events newer than its version applied (`case` itself when
    there are none, unless `always_copy`); None when the newer ones do not follow on from it."""
    newer = sorted(
        (e for e in events if e.originator_version > case.version),
        key=lambda e: e.originator_version,
    )
    expected = range(case.version + 1, case.version + 1 + len(newer))
    if [e.originator_version for e in newer] != list(expected):
        return None
    if not newer and not always_copy:
        return case
    advanced = _copy(case)
    for event in newer:
        event.mutate(advanced)
    return advanced


_IMMUTABLE = (str, bytes, int, float, type(None), UUID, datetime, date, timedelta, Enum)


def _copy(case: Case) -> Case:
    """A copy that shares only immutable values with `case` (lists, dicts and anything else
    copied deeply): as `deepcopy`, at a tenth of its cost (UUIDs and datetimes are not copied)."""
    copied = copy(case)
    for name, value in vars(case).items():
        if not isinstance(value, _IMMUTABLE):
            vars(copied)[name] = deepcopy(value)
    return copied


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
