"""What a Clock answers about itself, its status words and its id: pure, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from .policies import Rule
from .terms import NaiveTime, Suspension

CLOCK_NAMESPACE = UUID("0f6c1e52-8b0d-4c7a-b2f4-6d3e9a71c5b8")


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


# Every message about a case looks up each of its clocks by id, and a case's messages come close
# together in a stream: a uuid5 (a SHA-1) per clock and message was a tenth of a replay's time.
@lru_cache(maxsize=8192)
def clock_id_for(case_id: UUID, standard: str) -> UUID:
    """One clock per (case, standard): a redelivered start finds the clock it already started."""
    return uuid5(CLOCK_NAMESPACE, f"{case_id}/{standard}")


def aware(instant: datetime, what: str) -> datetime:
    if instant.tzinfo is None:
        raise NaiveTime(what)
    return instant


class ClockReadings:
    """The read side of a Clock (domain.py): its state, and what follows from it."""

    case_id: UUID
    tenant: str
    organization: str | None
    standard: str
    policy_version: int
    traceparent: str | None
    started_at: datetime
    deadline: datetime
    warning_at: datetime
    status: ClockStatus
    suspensions: list[tuple[datetime, datetime | None]]
    runs: int
    warned: bool
    breached_at: datetime | None
    stopped_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in (ClockStatus.RUNNING, ClockStatus.PAUSED)

    def status_at(self, now: datetime) -> ClockStatus:
        """A clock whose deadline has passed while still open is breached, swept or not."""
        if self.is_open and now > self.deadline:
            return ClockStatus.BREACHED
        return self.status

    def suspensions_as_of(self, rule: Rule, now: datetime) -> list[Suspension]:
        """The run's suspensions, each capped at the policy's maximum; an open one ends `now`."""
        pause = rule.standard.pause
        cap = timedelta(days=pause.max_days if pause else 0)
        return [Suspension(start, min(end or now, start + cap)) for start, end in self.suspensions]

    def _deadline_if_stopped(self, at: datetime, rule: Rule) -> datetime:
        if self.status is ClockStatus.PAUSED:
            return rule.deadline(self.started_at, self.suspensions_as_of(rule, at))
        return self.deadline

    def _context(self, **overrides: Any) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "tenant": self.tenant,
            "organization": self.organization,
            "standard": self.standard,
            "policy_version": self.policy_version,
            "started_at": self.started_at,
            "deadline": self.deadline,
            "traceparent": self.traceparent,
        } | overrides
