"""The Clock aggregate: how one service standard runs on one case, from its start to its outcome.

Pure: no I/O and no reading of the system clock. Every instant comes in from outside (the case
events' own times, or the `now` of the breach sweep).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

CLOCK_NAMESPACE = UUID("0f6c1e52-8b0d-4c7a-b2f4-6d3e9a71c5b8")
ROME = ZoneInfo("Europe/Rome")


class ClockStatus(StrEnum):
    RUNNING = "running"
    MET = "met"
    BREACHED = "breached"


class ClockError(ValueError):
    """Base of what a Clock refuses."""


class NaiveTime(ClockError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} must carry a UTC offset")


@dataclass(frozen=True)
class Standard:
    """A standard from a Carta dei servizi: which case event starts and stops it, and its term.

    Walking skeleton: only terms in calendar days. Working days, hours without festivi and
    paused clocks come with the policy engine of a later issue.
    """

    id: str
    policy_version: int
    term: timedelta
    starts_on: str = "received"
    stops_on: frozenset[str] = frozenset({"closed"})

    def deadline_for(self, started_at: datetime, zone: ZoneInfo = ROME) -> datetime:
        """Calendar days on the city's wall clock: 10:00 on 20 March gives 10:00 on 19 April,
        whether or not summer time began in between (a term of days, not of 24-hour blocks).
        """
        if started_at.tzinfo is None:
            raise NaiveTime("started_at")
        wall_clock = started_at.astimezone(zone) + self.term
        return wall_clock.astimezone(UTC)


ANSWER_30D = Standard("answer_30d", policy_version=1, term=timedelta(days=30))

STANDARDS: dict[str, Standard] = {s.id: s for s in (ANSWER_30D,)}
"""Every standard a clock can run against, by id."""


def standards_for(tenant: str) -> tuple[Standard, ...]:  # noqa: ARG001
    """The standards that run on every case of a tenant.

    For now every tenant has the 30-day legal term for an answer; the per-tenant policies of
    DESIGN.md §5 replace this with the policy engine of a later issue.
    """
    return (ANSWER_30D,)


def clock_id_for(case_id: UUID, standard: str) -> UUID:
    """One clock per (case, standard): a redelivered start finds the clock it already started."""
    return uuid5(CLOCK_NAMESPACE, f"{case_id}/{standard}")


class Clock(Aggregate):
    """How long the city is taking on one case against one standard."""

    class Started(Aggregate.Created):
        case_id: UUID
        tenant: str
        organization: str | None
        standard: str
        policy_version: int
        started_at: datetime
        deadline: datetime
        traceparent: str | None

    class AssignmentRecorded(Aggregate.Event):
        """Routing gave the case to an organization: later SLA events are addressed to it."""

        organization: str

    class _Outcome(Aggregate.Event):
        """What an outcome carries so it can be published on its own, without the clock."""

        case_id: UUID
        tenant: str
        organization: str | None
        standard: str
        policy_version: int
        started_at: datetime
        deadline: datetime
        traceparent: str | None
        at: datetime

    class Met(_Outcome):
        """The stop event came at or before the deadline."""

    class Breached(_Outcome):
        """The deadline passed while running: noticed by the sweep (`stopped_at` None) or by a
        stop event that came too late (`stopped_at` is its time)."""

        stopped_at: datetime | None

    class StoppedAfterBreach(Aggregate.Event):
        """The stop event of a clock the sweep had already breached: it stays breached."""

        stopped_at: datetime

    @event(Started)
    def __init__(
        self,
        case_id: UUID,
        tenant: str,
        organization: str | None,
        standard: str,
        policy_version: int,
        started_at: datetime,
        deadline: datetime,
        traceparent: str | None,
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.organization = organization
        self.standard = standard
        self.policy_version = policy_version
        self.started_at = started_at
        self.deadline = deadline
        self.traceparent = traceparent
        self.status = ClockStatus.RUNNING
        self.breached_at: datetime | None = None
        self.stopped_at: datetime | None = None

    @staticmethod
    def create_id(case_id: UUID, standard: str) -> UUID:
        return clock_id_for(case_id, standard)

    @classmethod
    def start(
        cls,
        *,
        case_id: UUID,
        tenant: str,
        organization: str | None,
        standard: Standard,
        started_at: datetime,
        traceparent: str | None = None,
        zone: ZoneInfo = ROME,
    ) -> Clock:
        return cls(
            case_id=case_id,
            tenant=tenant,
            organization=organization,
            standard=standard.id,
            policy_version=standard.policy_version,
            started_at=started_at,
            deadline=standard.deadline_for(started_at, zone),
            traceparent=traceparent,
        )

    @property
    def is_running(self) -> bool:
        return self.status is ClockStatus.RUNNING

    # --- commands -------------------------------------------------------------------------------

    def record_assignment(self, organization: str) -> None:
        if organization != self.organization:
            self._assignment_recorded(organization=organization)

    def stop(self, stopped_at: datetime) -> None:
        """The standard's stop event happened at `stopped_at`. Stopping twice changes nothing."""
        if stopped_at.tzinfo is None:
            raise NaiveTime("stopped_at")
        if self.is_running:
            if stopped_at <= self.deadline:
                self._met(**self._context(), at=stopped_at)
            else:
                self._breached(**self._context(), at=stopped_at, stopped_at=stopped_at)
        elif self.status is ClockStatus.BREACHED and self.stopped_at is None:
            self._stopped_after_breach(stopped_at=stopped_at)

    def breach_if_overdue(self, now: datetime) -> bool:
        """The sweep's check: a running clock past its deadline at `now` is breached."""
        if now.tzinfo is None:
            raise NaiveTime("now")
        if not self.is_running or now <= self.deadline:
            return False
        self._breached(**self._context(), at=now, stopped_at=None)
        return True

    # --- events ---------------------------------------------------------------------------------

    @event(AssignmentRecorded)
    def _assignment_recorded(self, organization: str) -> None:
        self.organization = organization

    # Outcomes repeat the clock's context (see `_context`) so each can be published on its own.

    @event(Met)
    def _met(
        self,
        case_id: UUID,
        tenant: str,
        organization: str | None,
        standard: str,
        policy_version: int,
        started_at: datetime,
        deadline: datetime,
        traceparent: str | None,
        at: datetime,
    ) -> None:
        self.status = ClockStatus.MET
        self.stopped_at = at

    @event(Breached)
    def _breached(
        self,
        case_id: UUID,
        tenant: str,
        organization: str | None,
        standard: str,
        policy_version: int,
        started_at: datetime,
        deadline: datetime,
        traceparent: str | None,
        at: datetime,
        stopped_at: datetime | None,
    ) -> None:
        self.status = ClockStatus.BREACHED
        self.breached_at = at
        self.stopped_at = stopped_at

    @event(StoppedAfterBreach)
    def _stopped_after_breach(self, stopped_at: datetime) -> None:
        self.stopped_at = stopped_at

    def _context(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "tenant": self.tenant,
            "organization": self.organization,
            "standard": self.standard,
            "policy_version": self.policy_version,
            "started_at": self.started_at,
            "deadline": self.deadline,
            "traceparent": self.traceparent,
        }
