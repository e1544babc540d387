"""notify-svc use cases: keep a file on each case, request a message per event, settle it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate
from sportello_shared.application import Incoming, RetryLater, ServiceApplication
from sportello_shared.contracts import EventPayload
from sportello_shared.contracts.cases import (
    CaseAssigned,
    CaseClosed,
    CaseReceived,
    CaseTakenInCharge,
)
from sportello_shared.contracts.subjects import UNASSIGNED
from sportello_shared.tenants import TenantCatalogue
from sportello_shared.tracing import child_traceparent

from .domain import CaseFile, Notification, Template, case_file_id

Clock = Callable[[], datetime]
AggregateT = TypeVar("AggregateT", bound=Aggregate)


class CaseNotFound(LookupError):
    pass


class NotificationNotFound(LookupError):
    pass


class NotifyApplication(ServiceApplication):
    name = "notify"

    def __init__(
        self,
        tenants: TenantCatalogue,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env)
        self.tenants = tenants
        self.clock = clock or (lambda: datetime.now(UTC))

    # --- use cases ------------------------------------------------------------------------------

    def mark_sent(self, notification_id: UUID, reply: str, at: datetime) -> Notification:
        notification = self.get_notification(notification_id)
        notification.mark_sent(reply, at)
        self.save(notification)
        return notification

    def mark_failed(self, notification_id: UUID, reason: str, at: datetime) -> Notification:
        notification = self.get_notification(notification_id)
        notification.mark_failed(reason, at)
        self.save(notification)
        return notification

    def record_failed_attempt(
        self, notification_id: UUID, error: str, at: datetime
    ) -> Notification:
        notification = self.get_notification(notification_id)
        notification.record_failed_attempt(error, at)
        self.save(notification)
        return notification

    def get_notification(self, notification_id: UUID) -> Notification:
        notification = self._find(Notification, notification_id)
        if notification is None:
            raise NotificationNotFound(f"no notification {notification_id}")
        return notification

    def notifications_for(self, case_id: str | UUID) -> list[Notification]:
        case_file = self._find(CaseFile, case_file_id(str(case_id)))
        if case_file is None:
            raise CaseNotFound(f"no case {case_id}")
        return [self.get_notification(n) for n in case_file.notifications]

    def _find(self, kind: type[AggregateT], aggregate_id: UUID) -> AggregateT | None:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(aggregate, kind)
        return aggregate

    # --- reactions to the case lifecycle --------------------------------------------------------

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Other public events are not notify's business (yet)."""

    @react.register
    def _(
        self, payload: CaseReceived, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        if self._find(CaseFile, case_file_id(payload.case_id)) is not None:
            return  # the same case published again (e.g. after intake's log was relayed anew)
        case_file = CaseFile.open(
            case_id=payload.case_id,
            tenant=incoming.envelope.tenant,
            reference=payload.reference,
            citizen_name=payload.citizen.name,
            email=str(payload.citizen.email) if payload.citizen.email else None,
            language=payload.citizen.language,
        )
        processing_event.collect_events(case_file)

    @react.register
    def _(
        self, payload: CaseAssigned, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case_file = self._case_file(payload.case_id)
        case_file.record_organization(payload.organization)
        processing_event.collect_events(case_file)

    @react.register
    def _(
        self,
        payload: CaseTakenInCharge,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        case_file = self._case_file(payload.case_id)
        case_file.record_organization(payload.organization)
        self._request(case_file, Template.TAKEN_IN_CHARGE, {}, incoming, processing_event)

    @react.register
    def _(
        self, payload: CaseClosed, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        case_file = self._case_file(payload.case_id)
        if incoming.envelope.organization != UNASSIGNED:
            case_file.record_organization(incoming.envelope.organization)
        context = {"outcome": payload.outcome}
        self._request(case_file, Template.CLOSED, context, incoming, processing_event)

    def _case_file(self, case_id: str) -> CaseFile:
        case_file = self._find(CaseFile, case_file_id(case_id))
        if case_file is None:
            # This event overtook the case's `received` (a redelivery reorders them): later.
            raise RetryLater(f"case {case_id} not received yet")
        return case_file

    def _request(
        self,
        case_file: CaseFile,
        template: Template,
        extra: dict[str, str],
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        processing_event.collect_events(case_file)
        if case_file.email is None:
            # No e-mail address: the citizen gave a phone number or a postal address. Letters and
            # SMS come with a later issue; until then nothing is requested nor recorded.
            return
        notification = Notification.request(
            case_id=case_file.case_id,
            tenant=case_file.tenant,
            template=template,
            trigger_event_id=incoming.envelope.id,
            recipient=case_file.email,
            language=case_file.language,
            context=self._context(case_file) | extra,
            requested_at=self.clock(),
            traceparent=child_traceparent(incoming.envelope.traceparent),
        )
        if self._find(Notification, notification.id) is not None:
            return  # requested already: the same event came again under another tracking id
        case_file.record_notification(notification.id)
        processing_event.collect_events(notification, case_file)

    def _context(self, case_file: CaseFile) -> dict[str, str]:
        """What the templates say, fixed when the message is requested (what was asked is kept)."""
        tenant = self.tenants.get(case_file.tenant)
        tenant_name = tenant.name if tenant else case_file.tenant
        organization = (
            tenant.organization(case_file.organization)
            if tenant and case_file.organization
            else None
        )
        return {
            "citizen_name": case_file.citizen_name,
            "reference": case_file.reference,
            "office": organization.name if organization else tenant_name,
            "tenant_name": tenant_name,
        }
