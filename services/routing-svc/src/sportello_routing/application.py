"""routing-svc use cases: decide on every received case; tell who handles what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from sportello_shared.application import Incoming, Rejected, ServiceApplication
from sportello_shared.contracts import EventPayload
from sportello_shared.contracts.cases import CaseReceived
from sportello_shared.tenants import TenantCatalogue

from .domain import Assignment, decide

Clock = Callable[[], datetime]


class AssignmentNotFound(LookupError):
    pass


class RoutingApplication(ServiceApplication):
    name = "routing"

    def __init__(
        self,
        tenants: TenantCatalogue,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env)
        self.tenants = tenants
        self.clock = clock or (lambda: datetime.now(UTC))

    def assignment_for(self, case_id: str) -> Assignment:
        try:
            assignment: Assignment = self.repository.get(Assignment.create_id(case_id))
        except AggregateNotFoundError:
            raise AssignmentNotFound(f"no routing decision for case {case_id}") from None
        return assignment

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Other public events are not routing's business."""

    @react.register
    def _(
        self, payload: CaseReceived, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        tenant = self.tenants.get(incoming.envelope.tenant)
        if tenant is None:
            raise Rejected(f"unknown tenant {incoming.envelope.tenant!r}")
        try:
            self.assignment_for(payload.case_id)
            return  # already decided: a replayed received event changes nothing
        except AssignmentNotFound:
            pass
        assignment = Assignment(payload.case_id, tenant.id, payload.reference)
        assignment.apply_decision(
            decide(tenant, payload.category), self.clock(), incoming.envelope.traceparent
        )
        processing_event.collect_events(assignment)
