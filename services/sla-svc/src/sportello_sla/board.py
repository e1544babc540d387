"""The clock board: every clock's current row, the citizens' ratings, the cases' facts, the anomaly
register, and what falls due next.

A read model of the application's own notification log, kept in memory: built at startup by
reading the log from the beginning, brought up to date after each of this process's commits from
what it just wrote (`take_committed`, the log's tail held in memory: no read), and by reading on
from where it stopped before each query and each sweep, so clocks written by other replicas are
seen too.
The sweep, the breach list, the compliance report and the digest all read it.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from sportello_shared.application import ServiceApplication

from .casefiles import SatisfactionRating
from .clock_rows import OPEN, ClockRow, Rating, update_clock_row
from .domain import Clock, ClockStatus
from .readmodels import ANOMALY_EVENTS, CASE_EVENTS, AnomalyRow, CaseRow, apply_anomaly, apply_case


@dataclass(order=True)
class _Due:
    at: datetime
    clock_id: UUID = field(compare=False)


# What the board follows; a case profile's events change no row.
FOLLOWED: frozenset[type[Any]] = frozenset(
    (
        Clock.Started,
        Clock.AssignmentRecorded,
        Clock.Warned,
        Clock.Suspended,
        Clock.Resumed,
        Clock.Restarted,
        Clock.Met,
        Clock.Breached,
        Clock.StoppedAfterBreach,
        Clock.StopBroughtForward,
        SatisfactionRating.Given,
        *CASE_EVENTS,
        *ANOMALY_EVENTS,
    )
)


class ClockBoard:
    BATCH = 1000
    TOPICS = frozenset(get_topic(cls) for cls in FOLLOWED)

    def __init__(self, app: ServiceApplication) -> None:
        self._app = app
        self._rows: dict[UUID, ClockRow] = {}
        self._ratings: list[Rating] = []
        self._cases: dict[UUID, CaseRow] = {}
        self._anomalies: dict[UUID, AnomalyRow] = {}
        self._due: list[_Due] = []
        self._position = 0
        self._lock = threading.RLock()

    def catch_up(self) -> None:
        """Read the notification log on from the last position: ids are in commit order."""
        with self._lock:
            self._take_from_tail()
            while True:
                notifications = self._app.recorder.select_notifications(
                    start=self._position, limit=self.BATCH, inclusive_of_start=False
                )
                for notification in notifications:
                    self._follow(notification, None)
                if len(notifications) < self.BATCH:
                    return

    def take_committed(self) -> None:
        """After this process's commit: the run of notifications that follows the position, from
        the events the writer still holds (`LogTail`), without reading or decoding them again.

        A hole in the run (another replica's commit, an id a failed transaction used) stops it
        there; the next `catch_up` (every query and sweep does one) reads on from the store.
        """
        with self._lock:
            self._take_from_tail()

    def _take_from_tail(self) -> None:
        while run := self._app.log_tail.after(self._position, self.BATCH):
            for notification, event in run:
                self._follow(notification, event)

    def _follow(self, notification: Notification, event: object | None) -> None:
        if notification.topic in self.TOPICS:
            self._apply(
                event if event is not None else self._app.mapper.to_domain_event(notification)
            )
        self._position = notification.id

    def apply(self, events: Iterable[object], *, schedule: bool = True) -> None:
        """Take new events straight from the aggregates that triggered them, in their order.

        For a store that is never read back (a replay into memory): the same row updates as
        `catch_up`, without encoding each event into the log only to decode it again. A board
        nobody sweeps (a replay's) need not keep the due queue (`schedule=False`).
        """
        with self._lock:
            for e in events:
                if type(e) in FOLLOWED:
                    self._apply(e, schedule)

    # --- queries --------------------------------------------------------------------------------

    def rows(self) -> list[ClockRow]:
        with self._lock:
            return list(self._rows.values())

    def ratings(self) -> list[Rating]:
        with self._lock:
            return list(self._ratings)

    def cases(self) -> list[CaseRow]:
        with self._lock:
            return list(self._cases.values())

    def anomalies(self) -> list[AnomalyRow]:
        with self._lock:
            return list(self._anomalies.values())

    def open_count(self) -> int:
        with self._lock:
            return sum(1 for row in self._rows.values() if row.status in OPEN)

    def due(self, now: datetime, limit: int) -> list[UUID]:
        """Open clocks with a warning or a deadline before `now`, the earliest first."""
        with self._lock:
            found: list[UUID] = []
            while self._due and self._due[0].at < now and len(found) < limit:
                entry = heapq.heappop(self._due)
                row = self._rows.get(entry.clock_id)
                if row is not None and self._still_due(row, entry.at) and row.clock_id not in found:
                    found.append(row.clock_id)
            return found

    def next_due(self) -> datetime | None:
        with self._lock:
            while self._due:
                entry = self._due[0]
                row = self._rows.get(entry.clock_id)
                if row is not None and self._still_due(row, entry.at):
                    return entry.at
                heapq.heappop(self._due)
            return None

    def reschedule(self, clock_id: UUID, at: datetime) -> None:
        """Try again later: the sweep lost a race for this clock, or it was not due after all."""
        with self._lock:
            heapq.heappush(self._due, _Due(at, clock_id))

    def digest(self, now: datetime) -> str:
        """sha256 of every clock's replayable state (as of `now`), every rating and every case's
        facts, sorted: all a report's figures come from. The anomaly register is sla-svc's own
        record, in no stream, so no replay has it: it is not in the digest."""
        with self._lock:
            lines = sorted(row.digest_line(now) for row in self._rows.values())
            lines += sorted(f"{r.case_id}|{r.organization}|{r.rating}" for r in self._ratings)
            lines += sorted(case.digest_line() for case in self._cases.values())
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    # --- applying the log -----------------------------------------------------------------------

    @staticmethod
    def _still_due(row: ClockRow, at: datetime) -> bool:
        if row.status not in OPEN:
            return False
        return at == row.deadline or (at == row.warning_at and not row.warned)

    def _schedule(self, row: ClockRow) -> None:
        if row.status in OPEN:
            heapq.heappush(self._due, _Due(row.deadline, row.clock_id))
            if row.status is ClockStatus.RUNNING and not row.warned:
                heapq.heappush(self._due, _Due(row.warning_at, row.clock_id))

    def _apply(self, e: Any, schedule: bool = True) -> None:
        if type(e) in CASE_EVENTS:
            apply_case(self._cases, e)
            return
        if type(e) in ANOMALY_EVENTS:
            apply_anomaly(self._anomalies, e)
            return
        if isinstance(e, SatisfactionRating.Given):
            self._ratings.append(Rating(e.case_id, e.tenant, e.organization, e.rating, e.at))
            return
        if isinstance(e, Clock.Started):
            row = ClockRow(
                e.originator_id,
                e.case_id,
                e.tenant,
                e.organization,
                e.standard,
                e.policy_version,
                e.started_at,
                e.deadline,
                e.warning_at,
            )
            self._rows[row.clock_id] = row
            if schedule:
                self._schedule(row)
            return
        row = self._rows[e.originator_id]
        update_clock_row(row, e)
        if schedule and isinstance(e, Clock.Suspended | Clock.Resumed | Clock.Restarted):
            self._schedule(row)


def rows_of(board: ClockBoard, tenant: str) -> Iterable[ClockRow]:
    return (row for row in board.rows() if row.tenant == tenant)
