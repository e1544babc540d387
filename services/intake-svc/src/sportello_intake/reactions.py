"""What intake does with other services' events: routing's decision and sla's deadlines on the
file, and the cases and status reports other platforms and partner companies publish."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from sportello_contracts import EventPayload
from sportello_contracts.cases import CaseAssigned, CaseRoutingFailed
from sportello_contracts.ingest import CaseStatusReported, CaseSubmitted, ReportedStatus
from sportello_contracts.sla import SlaDeadlineSet, SlaMet
from sportello_shared.application import Incoming, Rejected
from sportello_shared.personal_data.mapper import DATA_SUBJECT_LINKS
from sportello_shared.prefetch import case_of

from .domain import Case, CaseError
from .registration import (
    REFUSALS,
    RegisterCase,
    RegistrationBatch,
    links,
    prepare_registration,
)

if TYPE_CHECKING:
    from .application import IntakeApplication


class Reactions:
    """Mixed into `IntakeApplication`: its policies for the public events intake consumes."""

    clock: Callable[[], datetime]

    def find_case(self, case_id: UUID) -> Case | None:
        raise NotImplementedError

    def aggregates_to_read(self, incoming: Incoming) -> Iterable[UUID]:
        """The case a decision, deadline or status report is about: one query per batch."""
        case = case_of(incoming.payload)
        return () if case is None else (case,)

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Other public events are not intake's business."""

    @react.register
    def _(
        self, payload: CaseAssigned, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case = self.find_case(UUID(payload.case_id))
        if case is None:
            return
        case.record_assignment(
            payload.organization,
            payload.organization_name,
            payload.occurred_at,
            incoming.envelope.traceparent,
        )
        processing_event.collect_events(case)

    @react.register
    def _(
        self,
        payload: CaseRoutingFailed,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        case = self.find_case(UUID(payload.case_id))
        if case is None:
            return
        case.record_routing_failure(
            payload.triage_organization,
            payload.reason,
            payload.occurred_at,
            incoming.envelope.traceparent,
        )
        processing_event.collect_events(case)

    @react.register
    def _(
        self, payload: SlaDeadlineSet, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case = self.find_case(UUID(payload.case_id))
        if case is None:
            return
        case.record_deadline(payload.standard, payload.deadline)
        processing_event.collect_events(case)

    @react.register
    def _(
        self, payload: SlaMet, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case = self.find_case(UUID(payload.case_id))
        if case is None or payload.standard not in case.deadlines:
            return
        case.record_deadline_met(payload.standard)
        processing_event.collect_events(case)

    # --- what other platforms and partner companies publish on ingest.<tenant>.<source> ---------

    @react.register
    def _(
        self, payload: CaseSubmitted, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        tenant, source = _ingest_route(incoming)
        command = RegisterCase(
            tenant=tenant,
            kind=payload.kind.value,
            channel="platform",
            category=payload.category,
            description=payload.description,
            citizen=payload.citizen.model_dump(mode="json", exclude_none=True),
            location=payload.location.model_dump(mode="json") if payload.location else None,
            handling_mode=payload.handling_mode.value if payload.handling_mode else None,
            external_ref={"source": source, "id": payload.external_id},
            received_at=payload.received_at,
            actor=f"platform:{source}",
            traceparent=incoming.envelope.traceparent,
            # a platform reports its own receipt time: a late one is its backlog, not a typo
            late_entry_reason=f"ricevuta dalla piattaforma {source} e trasmessa in seguito",
        )
        batch = RegistrationBatch()
        app = cast("IntakeApplication", self)
        try:
            prepare_registration(app, command, batch)
        except REFUSALS as exc:
            raise Rejected(str(exc)) from exc
        processing_event.collect_events(
            *batch.aggregates, **{DATA_SUBJECT_LINKS: links(app, batch)}
        )

    @react.register
    def _(
        self,
        payload: CaseStatusReported,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        tenant, organization = _ingest_route(incoming)
        case = self.find_case(_uuid(payload.case_id))
        if case is None or case.tenant != tenant:
            raise Rejected(f"no case {payload.case_id} in {tenant}")
        if case.organization != organization:
            raise Rejected(f"{organization} does not handle case {case.reference}")
        if case.status.value == STATUS_REPORTED[payload.status]:
            return  # the partner said it again: nothing new
        now = self.clock()
        try:
            report_status(
                case, payload, payload.occurred_at or now, now, incoming.envelope.traceparent
            )
        except CaseError as exc:
            raise Rejected(f"{case.reference}: {exc}") from exc
        processing_event.collect_events(case)


STATUS_REPORTED = {
    ReportedStatus.TAKEN_IN_CHARGE: "taken_in_charge",
    ReportedStatus.CONTACTED: "citizen_contacted",
    ReportedStatus.RESOLVED: "resolved",
    ReportedStatus.CLOSED: "closed",
}


def report_status(
    case: Case, report: CaseStatusReported, at: datetime, now: datetime, trace: str | None
) -> None:
    actor = report.operator
    match report.status:
        case ReportedStatus.TAKEN_IN_CHARGE:
            case.take_in_charge(actor, at, now, trace)
        case ReportedStatus.CONTACTED:
            case.contact_citizen("partner", report.note, actor, at, now, trace)
        case ReportedStatus.RESOLVED:
            case.resolve(report.note or "risolto", actor, at, now, trace)
        case ReportedStatus.CLOSED:
            case.close(report.note or "chiuso", actor, at, now, trace)


def _ingest_route(incoming: Incoming) -> tuple[str, str]:
    """(tenant, source) from the NATS subject, which NATS permissions vouch for."""
    parts = incoming.subject.split(".")
    if len(parts) != 3 or parts[0] != "ingest":
        raise Rejected(f"not an ingest subject: {incoming.subject!r}")
    if incoming.envelope.tenant != parts[1]:
        raise Rejected(f"envelope tenant {incoming.envelope.tenant!r} is not {parts[1]!r}")
    return parts[1], parts[2]


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise Rejected(f"not a case id: {value!r}") from None
