"""Which messages each public event asks for: notify's policy over the case lifecycle and SLA.

Each reaction runs inside eventsourcing's processing of one upstream event: the messages it
requests are saved with that event's tracking record, in one transaction. A message is only
*requested* here; the dispatcher delivers it (`requesting.py` says how).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

import structlog
from eventsourcing.dispatch import singledispatchmethod
from sportello_contracts import EventPayload
from sportello_contracts.case_acts import CaseCitizenUpdated, CaseDuplicateMerged
from sportello_contracts.cases import (
    CaseAssigned,
    CaseClassified,
    CaseClosed,
    CasePersonalDataErased,
    CaseReceived,
    CaseRejected,
    CaseReopened,
    CaseResolved,
    CaseResumed,
    CaseRoutingFailed,
    CaseTakenInCharge,
    CaseWaitingForCitizen,
)
from sportello_contracts.personal import PersonalAnswer
from sportello_contracts.sla import SlaBreached, SlaWarning
from sportello_contracts.subjects import UNASSIGNED
from sportello_shared.application import Incoming, RetryLater
from sportello_shared.tenants import Tenant
from sportello_shared.tracing import child_traceparent

from .domain import Audience, CaseFile, Contact, Template, case_file_id
from .messages import citizen_reach, local_time
from .procedure_messages import PROCEDURE_STEPS, ProcedureMessages
from .requesting import Processing

log = structlog.get_logger(__name__)


class Reactions(ProcedureMessages):
    def aggregates_to_read(self, incoming: Incoming) -> Iterable[UUID]:
        """The case's file, read by almost every reaction: one query per batch."""
        case_id = getattr(incoming.payload, "case_id", None)
        return (case_file_id(case_id),) if isinstance(case_id, str) else ()

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: Processing
    ) -> None:
        """Other public events are not notify's business."""

    @react.register
    def _(self, payload: CaseReceived, incoming: Incoming, processing_event: Processing) -> None:
        # after an erasure (a relay far behind it) intake answers no contact: nobody is written to
        personal = _personal(incoming)
        case_file = self._find(CaseFile, case_file_id(payload.case_id))
        if case_file is None:
            citizen = personal.citizen or {}
            location = personal.location.address if personal.location else None
            case_file = CaseFile.open(
                case_id=payload.case_id,
                tenant=incoming.envelope.tenant,
                reference=payload.reference,
                citizen_name=str(citizen.get("name") or ""),
                contact=Contact(citizen.get("email"), citizen.get("phone"), citizen.get("address")),
                language=str(citizen.get("language") or "it"),
                category=payload.category,
                description=personal.description or "",
                follow_token=personal.follow_token or "",
                kind=payload.kind.value,
                location=location,
                registered_at=payload.registered_at,
                in_reply_to=personal.in_reply_to,
                channel=payload.channel.value,
            )
        if not self.tenant_policy(case_file.tenant).acknowledgment.wanted(payload.channel):
            # the operator gave the reference during the call: nothing more to send
            reason = f"{payload.channel}: the reference was given live (notify.yaml)"
            at, event_id = self.clock(), incoming.envelope.id
            case_file.record_skipped(Template.RECEIVED.value, event_id, reason, at)
            processing_event.collect_events(case_file)
            return
        extra = {"urgent_next": self._urgent_next(case_file, payload.occurred_at)}
        self._tell_citizen(case_file, Template.RECEIVED, extra, incoming, processing_event)

    @react.register
    def _(self, payload: PROCEDURE_STEPS, incoming: Incoming, processing_event: Processing) -> None:
        self._procedure_step(payload, incoming, processing_event)  # Casale's (issue 18 point 6)

    @react.register
    def _(self, payload: CaseAssigned, incoming: Incoming, processing_event: Processing) -> None:
        case_file = self._case_file(payload.case_id)
        case_file.record_organization(payload.organization)
        tenant = self.tenants.get(case_file.tenant)
        category = tenant.category(case_file.category) if tenant else None
        # An urgent case needs acting on now: the office gets the citizen's contact with it.
        extra = citizen_reach(case_file) if category and category.urgent else {}
        extra |= _triage_stage(tenant, payload)
        offices = [(Audience.ORGANIZATION, payload.organization)]
        self._tell_offices(case_file, Template.ASSIGNED, offices, extra, incoming, processing_event)
        # ... and out of office hours, the on-call rota is woken up (paging.py)
        rota = self._on_call_rota(case_file, payload.occurred_at)
        if rota is not None and self._wanted(case_file, Template.ON_CALL_ALERT, incoming):
            traceparent = child_traceparent(incoming.envelope.traceparent)
            paged = self._raise_on_call(case_file, rota, self.clock(), traceparent)
            processing_event.collect_events(case_file, *paged)

    @react.register
    def _(self, payload: CaseClassified, incoming: Incoming, processing_event: Processing) -> None:
        """The triage said what the case is about and, maybe, who wrote: the later messages
        use the new kind and category, and reach the citizen by the contact now known."""
        personal = _personal(incoming)
        case_file = self._case_file(payload.case_id)
        citizen = personal.citizen if payload.identity_completed and not personal.erased else None
        case_file.reclassify(payload.kind.value, payload.category, citizen)
        processing_event.collect_events(case_file)

    @react.register
    def _(
        self, payload: CaseRoutingFailed, incoming: Incoming, processing_event: Processing
    ) -> None:
        """Nobody took the case: the URP is alerted at once, the citizen told it is looked at."""
        case_file = self._case_file(payload.case_id)
        log.warning("routing_failed", case_id=payload.case_id, reason=payload.reason)
        offices = [(Audience.URP, payload.triage_organization)]
        extra = citizen_reach(case_file)
        template = Template.ROUTING_FAILED
        self._tell_offices(case_file, template, offices, extra, incoming, processing_event)
        self._tell_citizen(case_file, Template.UNDER_REVIEW, {}, incoming, processing_event)

    @react.register
    def _(
        self, payload: CaseTakenInCharge, incoming: Incoming, processing_event: Processing
    ) -> None:
        case_file = self._case_file(payload.case_id)
        case_file.record_organization(payload.organization)
        self._tell_citizen(case_file, Template.TAKEN_IN_CHARGE, {}, incoming, processing_event)

    @react.register
    def _(
        self, payload: CaseWaitingForCitizen, incoming: Incoming, processing_event: Processing
    ) -> None:
        """The office asks the citizen for something: what, how to answer, by when; and a
        reminder a few days before the pause runs out, sent only if still waiting then."""
        case_file = self._case_file(payload.case_id)
        case_file.record_waiting(incoming.envelope.id)
        waiting = self.tenant_policy(case_file.tenant).waiting
        reply_by = payload.occurred_at + timedelta(days=waiting.reply_days)
        tenant = self.tenants.get(case_file.tenant)
        request = _personal(incoming).text or ""
        extra = {"request": request, "reply_by": local_time(reply_by, tenant)[:10]}
        template = Template.WAITING_FOR_CITIZEN
        self._tell_citizen(case_file, template, extra, incoming, processing_event)
        remind_at = reply_by - timedelta(days=waiting.reminder_days_before)
        if remind_at > self.clock():
            template = Template.WAITING_REMINDER
            self._tell_citizen(case_file, template, extra, incoming, processing_event, remind_at)

    @react.register
    def _(self, payload: CaseResumed, incoming: Incoming, processing_event: Processing) -> None:
        self._stop_waiting(payload.case_id, processing_event)

    @react.register
    def _(self, payload: CaseResolved, incoming: Incoming, processing_event: Processing) -> None:
        self._stop_waiting(payload.case_id, processing_event)

    @react.register
    def _(self, payload: CaseReopened, incoming: Incoming, processing_event: Processing) -> None:
        self._stop_waiting(payload.case_id, processing_event)

    @react.register
    def _(self, payload: CaseClosed, incoming: Incoming, processing_event: Processing) -> None:
        case_file = self._case_file(payload.case_id)
        case_file.record_waiting(None)
        if incoming.envelope.organization != UNASSIGNED:
            case_file.record_organization(incoming.envelope.organization)
        extra = {"outcome": _personal(incoming).text or ""}
        self._tell_citizen(case_file, Template.CLOSED, extra, incoming, processing_event)

    @react.register
    def _(
        self, payload: CaseCitizenUpdated, incoming: Incoming, processing_event: Processing
    ) -> None:
        """The office's free-text update: its words are intake's, asked before this runs."""
        case_file = self._case_file(payload.case_id)
        extra = {"message": _personal(incoming).text or ""}
        self._tell_citizen(case_file, Template.CITIZEN_UPDATED, extra, incoming, processing_event)

    @react.register
    def _(self, payload: CaseRejected, incoming: Incoming, processing_event: Processing) -> None:
        """Only a duplicate merged into its original is written about: where to follow it."""
        if not payload.merged or not payload.duplicate_of:
            return
        case_file = self._case_file(payload.case_id)
        extra = {"original": payload.duplicate_of}
        self._tell_citizen(case_file, Template.MERGED, extra, incoming, processing_event)

    @react.register
    def _(
        self, payload: CaseDuplicateMerged, incoming: Incoming, processing_event: Processing
    ) -> None:
        case_file = self._case_file(payload.case_id)
        template = Template.DUPLICATE_MERGED
        self._tell_citizen(case_file, template, {}, incoming, processing_event)

    def _stop_waiting(self, case_id: str, processing_event: Processing) -> None:
        """The office no longer waits for the citizen: a pending reminder is withdrawn."""
        case_file = self._find(CaseFile, case_file_id(case_id))
        if case_file is not None and case_file.waiting_for is not None:
            case_file.record_waiting(None)
            processing_event.collect_events(case_file)

    @react.register
    def _(
        self, payload: CasePersonalDataErased, incoming: Incoming, processing_event: Processing
    ) -> None:
        """The citizen was forgotten at intake: notify deletes the case's key (its contact, the
        messages' recipients and texts, the survey comment become unreadable) and notes it."""
        self.vault.erase([payload.case_id], payload.actor or "intake-svc", payload.occurred_at)
        case_file = self._find(CaseFile, case_file_id(payload.case_id))
        if case_file is not None:
            case_file.erase_personal_data(payload.actor or "intake-svc", payload.occurred_at)
            processing_event.collect_events(case_file)

    @react.register
    def _(self, payload: SlaWarning, incoming: Incoming, processing_event: Processing) -> None:
        self._sla(Template.SLA_WARNING, payload.case_id, payload, incoming, processing_event)

    @react.register
    def _(self, payload: SlaBreached, incoming: Incoming, processing_event: Processing) -> None:
        self._sla(Template.SLA_BREACHED, payload.case_id, payload, incoming, processing_event)

    def _sla(
        self,
        template: Template,
        case_id: str,
        payload: SlaWarning | SlaBreached,
        incoming: Incoming,
        processing_event: Processing,
    ) -> None:
        """The office handling the case and the tenant's URP both learn of the deadline; on a
        breach they get the citizen's contact, to act on it."""
        case_file = self._case_file(case_id)
        if case_file.registered_at is not None and payload.deadline < case_file.registered_at:
            # a late entry (a 2016 letter typed in today): the clock shows it, nobody is alarmed
            reason = "the deadline had passed before the case was registered (late entry)"
            case_file.record_skipped(template.value, incoming.envelope.id, reason, self.clock())
            processing_event.collect_events(case_file)
            return
        tenant = self.tenants.get(case_file.tenant)
        handling = incoming.envelope.organization
        offices: list[tuple[Audience, str]] = []
        if handling != UNASSIGNED and (tenant is None or handling != tenant.triage):
            offices.append((Audience.ORGANIZATION, handling))
        if tenant is not None:
            offices.append((Audience.URP, tenant.triage))
        names = self.tenant_policy(case_file.tenant).standard_names
        extra = {
            "standard": names.get(payload.standard, payload.standard),
            "deadline": local_time(payload.deadline, tenant),
        }
        if template is Template.SLA_BREACHED:
            extra |= citizen_reach(case_file)
        self._tell_offices(case_file, template, offices, extra, incoming, processing_event)


def _personal(incoming: Incoming) -> PersonalAnswer:
    """What intake answered for this event (the runner asks first: ConsumerSpec.personal_data)."""
    if incoming.personal is None:
        raise RetryLater(f"no personal data from intake for {incoming.envelope.id} yet")
    return incoming.personal


def _triage_stage(tenant: Tenant | None, payload: CaseAssigned) -> dict[str, str]:
    """Triage-first (issue 18): what the office is asked to do with the case assigned to it.
    `forwarded`: the front office sends it on, to answer it back; `answered`: the office's
    answer is back with the front office, to tell the citizen. Nothing: take it in charge."""
    if tenant is None or not tenant.triage_first:
        return {}
    front = tenant.organization(tenant.triage)
    front_office = front.name if front else tenant.triage
    if payload.rule_id == "office-answered":
        return {"stage": "answered", "front_office": front_office}
    if payload.organization != tenant.triage:
        return {"stage": "forwarded", "front_office": front_office}
    return {}
