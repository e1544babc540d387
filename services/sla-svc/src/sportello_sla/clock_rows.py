"""The clock board's rows (board.py): each clock's current state, as its events leave it, and
the citizens' ratings. What the compliance report, the annual report, the breach list and the
register read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from .domain import Clock, ClockStatus

OPEN = (ClockStatus.RUNNING, ClockStatus.PAUSED)


@dataclass
class ClockRow:
    clock_id: UUID
    case_id: UUID
    tenant: str
    organization: str | None
    standard: str
    policy_version: int
    started_at: datetime
    deadline: datetime
    warning_at: datetime
    status: ClockStatus = ClockStatus.RUNNING
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    warned: bool = False

    def status_at(self, now: datetime) -> ClockStatus:
        if self.status in OPEN and now > self.deadline:
            return ClockStatus.BREACHED
        return self.status

    def digest_line(self, now: datetime) -> str:
        """What a replay of the log must reproduce exactly (not when the sweep happened to run)."""
        stopped = self.stopped_at.isoformat() if self.stopped_at else "-"
        return "|".join(
            (
                str(self.case_id),
                self.standard,
                str(self.policy_version),
                self.organization or "-",
                self.started_at.isoformat(),
                self.deadline.isoformat(),
                stopped,
                self.status_at(now).value,
            )
        )


@dataclass(frozen=True)
class Rating:
    case_id: UUID
    tenant: str
    organization: str | None
    rating: int
    at: datetime


def update_clock_row(row: ClockRow, e: Any) -> None:
    """The row follows the aggregate, event by event (see each event's `apply` in domain)."""
    match e:
        case Clock.AssignmentRecorded():
            row.organization = e.organization
        case Clock.Warned():
            row.warned = True
        case Clock.Suspended():
            row.status, row.deadline = ClockStatus.PAUSED, e.deadline
        case Clock.Resumed():
            row.status, row.deadline, row.warning_at = ClockStatus.RUNNING, e.deadline, e.warning_at
            row.warned = row.warned and e.warning_at <= e.at
        case Clock.Restarted():
            row.started_at, row.deadline, row.warning_at = e.started_at, e.deadline, e.warning_at
            row.status, row.warned = ClockStatus.RUNNING, False
            row.stopped_at = row.breached_at = None
        case Clock.Met():
            row.status, row.deadline, row.stopped_at = ClockStatus.MET, e.deadline, e.at
        case Clock.Breached():
            row.status, row.deadline = ClockStatus.BREACHED, e.deadline
            row.breached_at, row.stopped_at = e.at, e.stopped_at
        case Clock.StoppedAfterBreach():
            row.stopped_at = e.stopped_at
        case Clock.StopBroughtForward():
            row.stopped_at = e.stopped_at
            row.status = ClockStatus.MET if e.met else ClockStatus.BREACHED
