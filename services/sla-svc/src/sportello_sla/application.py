"""sla-svc use cases: start and stop clocks on case events, breach overdue clocks, read them."""

from __future__ import annotations

import threading
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import IntegrityError, ProcessRecorder
from eventsourcing.utils import get_topic
from sportello_shared.application import Incoming, Rejected, RetryLater, ServiceApplication
from sportello_shared.contracts import EventPayload
from sportello_shared.contracts.cases import CaseAssigned, CaseClosed, CaseReceived
from sportello_shared.logging import get_logger
from sportello_shared.tracing import child_traceparent

from .domain import STANDARDS, Clock, ClockError, clock_id_for, standards_for

log = get_logger(__name__)


class RunningClocks:
    """Which clocks are running and when each is due, so the sweep never scans aggregates.

    Walking skeleton: an in-memory index, rebuilt at startup by reading the application's own
    notification log from the beginning and brought up to date by reading on from where it
    stopped (after each commit, and before each sweep so clocks started by other replicas are
    seen too). A later issue replaces it with a persisted, tracked projection.
    """

    BATCH = 1000
    TOPICS = frozenset(get_topic(cls) for cls in (Clock.Started, Clock.Met, Clock.Breached))

    def __init__(self, app: ServiceApplication) -> None:
        self._app = app
        self._due: dict[UUID, datetime] = {}
        self._position = 0
        self._lock = threading.Lock()

    def catch_up(self) -> None:
        """Read the notification log on from the last position: ids are in commit order."""
        recorder: ProcessRecorder = self._app.recorder
        with self._lock:
            while True:
                notifications = recorder.select_notifications(
                    start=self._position, limit=self.BATCH, inclusive_of_start=False
                )
                for notification in notifications:
                    if notification.topic in self.TOPICS:
                        self._apply(self._app.mapper.to_domain_event(notification))
                    self._position = notification.id
                if len(notifications) < self.BATCH:
                    return

    def overdue(self, now: datetime, limit: int) -> list[UUID]:
        """Running clocks whose deadline is before `now`, the longest overdue first."""
        with self._lock:
            overdue = sorted((due, clock_id) for clock_id, due in self._due.items() if due < now)
        return [clock_id for _, clock_id in overdue[:limit]]

    def __len__(self) -> int:
        with self._lock:
            return len(self._due)

    def _apply(self, domain_event: object) -> None:
        if isinstance(domain_event, Clock.Started):
            self._due[domain_event.originator_id] = domain_event.deadline
        elif isinstance(domain_event, Clock.Met | Clock.Breached):
            self._due.pop(domain_event.originator_id, None)


class SlaApplication(ServiceApplication):
    name = "sla"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.running = RunningClocks(self)
        self.running.catch_up()
        self.on_saved(self.running.catch_up)

    # --- queries ---------------------------------------------------------------------------------

    def clocks_for(self, case_id: UUID) -> list[Clock]:
        """The case's clocks, one per standard that started on it (none if the case is unknown)."""
        found = (self._find(clock_id_for(case_id, standard)) for standard in STANDARDS)
        return [clock for clock in found if clock is not None]

    # --- the breach sweep ------------------------------------------------------------------------

    def breach_overdue(self, now: datetime, limit: int = 500) -> list[Clock]:
        """Breach the running clocks whose deadline passed before `now`, in one transaction."""
        self.running.catch_up()
        breached = []
        for clock_id in self.running.overdue(now, limit):
            clock = self._find(clock_id)
            if clock is not None and clock.breach_if_overdue(now):
                breached.append(clock)
        if not breached:
            return []
        try:
            self.save(*breached)
        except IntegrityError:
            # Another replica changed one of these clocks first; the next sweep reads what it
            # did and breaches what is still running.
            log.info("sla.breach_sweep_conflict", clocks=len(breached))
            return []
        log.info("sla.clocks_breached", clocks=len(breached))
        return breached

    # --- reactions to case events ----------------------------------------------------------------

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Case events that start or stop no clock yet are tracked and otherwise ignored."""

    @react.register
    def _(
        self, payload: CaseReceived, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case_id = UUID(payload.case_id)
        tenant = incoming.envelope.tenant
        for standard in standards_for(tenant):
            if standard.starts_on != payload.event:
                continue
            if self._find(clock_id_for(case_id, standard.id)) is not None:
                continue  # a redelivered start finds the clock it already started
            try:
                clock = Clock.start(
                    case_id=case_id,
                    tenant=tenant,
                    organization=None,
                    standard=standard,
                    started_at=payload.received_at,
                    traceparent=child_traceparent(incoming.envelope.traceparent),
                )
            except ClockError as exc:
                raise Rejected(str(exc)) from exc
            processing_event.collect_events(clock)

    @react.register
    def _(
        self, payload: CaseAssigned, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        for clock in self._clocks_of(UUID(payload.case_id)):
            clock.record_assignment(payload.organization)
            processing_event.collect_events(clock)

    @react.register
    def _(
        self, payload: CaseClosed, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        for clock in self._clocks_of(UUID(payload.case_id)):
            if payload.event in STANDARDS[clock.standard].stops_on:
                try:
                    clock.stop(payload.occurred_at)
                except ClockError as exc:
                    raise Rejected(str(exc)) from exc
                processing_event.collect_events(clock)

    # --- helpers ---------------------------------------------------------------------------------

    def _clocks_of(self, case_id: UUID) -> list[Clock]:
        """The clocks an event about an existing case acts on.

        None yet means the event overtook the case.received that starts them (a redelivery
        reorders messages): retry later; after `max_deliver` attempts it goes to the DLQ.
        """
        clocks = self.clocks_for(case_id)
        if not clocks:
            raise RetryLater(f"no clock yet for case {case_id}: its case.received has not arrived")
        return clocks

    def _find(self, clock_id: UUID) -> Clock | None:
        try:
            clock: Clock = self.repository.get(clock_id)
        except AggregateNotFoundError:
            return None
        return clock
