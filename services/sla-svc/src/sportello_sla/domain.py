"""The Clock aggregate: how one standard runs on one case, from its start to its outcome.

Its events and commands are here (the events' topics name this module: they stay); what it
answers about itself (status, suspensions, the context every event carries) is `ClockReadings`.

Pure: no I/O and no reading of the system clock. Every instant comes in from outside (the case
events' own times, or the `now` of the sweep), and every deadline from the clock's `Rule` (its
standard under the policy version it started with, on the comune's calendar).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from .clock_readings import ClockReadings, ClockStatus, aware, clock_id_for
from .policies import Rule
from .terms import NaiveTime, Suspension

__all__ = ["Clock", "ClockStatus", "NaiveTime", "clock_id_for"]


class Clock(ClockReadings, Aggregate):
    """How long the city is taking on one case against one standard."""

    class Started(Aggregate.Created):
        class_version = 2

        case_id: UUID
        tenant: str
        organization: str | None
        standard: str
        policy_version: int
        started_at: datetime
        deadline: datetime
        warning_at: datetime
        traceparent: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["warning_at"] = state["deadline"]

    class AssignmentRecorded(Aggregate.Event):
        """Routing gave the case to an organization: later SLA events are addressed to it."""

        organization: str

        def apply(self, clock: Clock) -> None:
            clock.organization = self.organization

    class Published(Aggregate.Event):
        """What every published event carries, so it can be mapped on its own, without the clock."""

        case_id: UUID
        tenant: str
        organization: str | None
        standard: str
        policy_version: int
        started_at: datetime
        deadline: datetime
        traceparent: str | None

    class Warned(Published):
        """The warning share of the limit has run and the clock is still running."""

        at: datetime

        def apply(self, clock: Clock) -> None:
            clock.warned = True

    class Suspended(Published):
        """Waiting for the citizen: `deadline` is the latest one, if the wait lasts its maximum."""

        at: datetime

        def apply(self, clock: Clock) -> None:
            clock.status = ClockStatus.PAUSED
            clock.suspensions.append((self.at, None))
            clock.deadline = self.deadline

    class Resumed(Published):
        at: datetime
        warning_at: datetime

        def apply(self, clock: Clock) -> None:
            start, _ = clock.suspensions[-1]
            clock.suspensions[-1] = (start, max(self.at, start))
            clock.status = ClockStatus.RUNNING
            clock.deadline = self.deadline
            clock.warning_at = self.warning_at
            # a warning given before the suspension stands only if its point has not moved on
            clock.warned = clock.warned and self.warning_at <= self.at

    class Restarted(Published):
        """The case came back (e.g. reopened): a new run from `started_at`, same policy version."""

        warning_at: datetime

        def apply(self, clock: Clock) -> None:
            clock.runs += 1
            clock._begin_run(self.started_at, self.deadline, self.warning_at)

    class Met(Published):
        """The stop event came at or before the deadline (possibly correcting a sweep's breach
        that an event in flight had overtaken)."""

        at: datetime

        def apply(self, clock: Clock) -> None:
            clock.status = ClockStatus.MET
            clock.deadline = self.deadline
            clock.stopped_at = self.at

    class Breached(Published):
        """The deadline passed while open: noticed by the sweep (`stopped_at` None) or by a stop
        event that came too late (`stopped_at` is its time)."""

        at: datetime
        stopped_at: datetime | None

        def apply(self, clock: Clock) -> None:
            clock.status = ClockStatus.BREACHED
            clock.deadline = self.deadline
            clock.breached_at = self.at
            clock.stopped_at = self.stopped_at

    class StoppedAfterBreach(Aggregate.Event):
        """The late stop event of a clock the sweep had already breached: it stays breached."""

        stopped_at: datetime

        def apply(self, clock: Clock) -> None:
            clock.stopped_at = self.stopped_at

    class StopBroughtForward(Aggregate.Event):
        """A stop event older than the recorded one arrived (another stream was behind)."""

        stopped_at: datetime
        met: bool

        def apply(self, clock: Clock) -> None:
            clock.stopped_at = self.stopped_at
            clock.status = ClockStatus.MET if self.met else ClockStatus.BREACHED

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
        warning_at: datetime,
        traceparent: str | None,
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.organization = organization
        self.standard = standard
        self.policy_version = policy_version
        self.traceparent = traceparent
        self.runs = 1
        self._begin_run(started_at, deadline, warning_at)

    def _begin_run(self, started_at: datetime, deadline: datetime, warning_at: datetime) -> None:
        self.started_at = started_at
        self.deadline = deadline
        self.warning_at = warning_at
        self.status = ClockStatus.RUNNING
        self.suspensions = []
        self.warned = False
        self.breached_at = None
        self.stopped_at = None

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
        rule: Rule,
        started_at: datetime,
        traceparent: str | None = None,
    ) -> Clock:
        deadline = rule.deadline(aware(started_at, "started_at"))
        return cls(
            case_id=case_id,
            tenant=tenant,
            organization=organization,
            standard=rule.id,
            policy_version=rule.policy_version,
            started_at=started_at,
            deadline=deadline,
            warning_at=rule.warning(started_at, deadline),
            traceparent=traceparent,
        )

    # --- commands -------------------------------------------------------------------------------

    def record_assignment(self, organization: str) -> None:
        if organization != self.organization:
            self.trigger_event(self.AssignmentRecorded, organization=organization)

    def suspend(self, at: datetime, rule: Rule) -> None:
        """Waiting for the citizen suspends the term, as often as the policy allows."""
        pause = rule.standard.pause
        if pause is None or self.status is not ClockStatus.RUNNING or at > self.deadline:
            return
        if at < self.started_at or len(self.suspensions) >= pause.max_times:
            return
        latest = [*self.suspensions_as_of(rule, at), Suspension(at, at + timedelta(pause.max_days))]
        self.trigger_event(
            self.Suspended, **self._context(deadline=rule.deadline(self.started_at, latest)), at=at
        )

    def resume(self, at: datetime, rule: Rule) -> None:
        if self.status is not ClockStatus.PAUSED:
            return
        suspensions = self.suspensions_as_of(rule, max(at, self.suspensions[-1][0]))
        deadline = rule.deadline(self.started_at, suspensions)
        warning_at = rule.warning(self.started_at, deadline, suspensions)
        self.trigger_event(
            self.Resumed, **self._context(deadline=deadline), at=at, warning_at=warning_at
        )

    def stop(self, at: datetime, rule: Rule) -> None:
        """The standard's stop event happened at `at`; the earliest stop of a run counts."""
        aware(at, "stopped_at")
        if at < self.started_at:
            if self.runs > 1:
                return  # it belongs to an earlier run of a restarted clock
            at = self.started_at  # another service's clock was a little behind ours
        if self.is_open:
            deadline = self._deadline_if_stopped(at, rule)
            if at <= deadline:
                self.trigger_event(self.Met, **self._context(deadline=deadline), at=at)
            else:
                self.trigger_event(
                    self.Breached, **self._context(deadline=deadline), at=at, stopped_at=at
                )
        elif self.stopped_at is None:  # breached by the sweep
            if at <= self.deadline:
                self.trigger_event(self.Met, **self._context(), at=at)
            else:
                self.trigger_event(self.StoppedAfterBreach, stopped_at=at)
        elif at < self.stopped_at:
            self.trigger_event(self.StopBroughtForward, stopped_at=at, met=at <= self.deadline)

    def restart(self, at: datetime, rule: Rule, traceparent: str | None) -> None:
        """A new run from `at` for a clock that had stopped; a running one goes on."""
        if self.stopped_at is None or at < self.stopped_at:
            return
        deadline = rule.deadline(aware(at, "restarted_at"))
        self.trigger_event(
            self.Restarted,
            **self._context(started_at=at, deadline=deadline, traceparent=traceparent),
            warning_at=rule.warning(at, deadline),
        )

    def warn_if_due(self, now: datetime) -> bool:
        """The sweep's warning: once per run, while running and before the deadline."""
        aware(now, "now")
        if self.status is not ClockStatus.RUNNING or self.warned:
            return False
        if not self.warning_at <= now <= self.deadline:
            return False
        self.trigger_event(self.Warned, **self._context(), at=now)
        return True

    def breach_if_overdue(self, now: datetime) -> bool:
        """The sweep's check: an open clock past its deadline at `now` is breached."""
        aware(now, "now")
        if not self.is_open or now <= self.deadline:
            return False
        self.trigger_event(self.Breached, **self._context(), at=now, stopped_at=None)
        return True
