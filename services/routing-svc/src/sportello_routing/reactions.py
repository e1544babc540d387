"""routing-svc's reactions to intake-svc's events: a decision for every case, again when it is
declined, classified or reopened; its description forgotten with the citizen."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from sportello_contracts import EventPayload
from sportello_contracts.case_triage import CaseForwarded, CaseOfficeAnswered
from sportello_contracts.cases import (
    CaseClassified,
    CasePersonalDataErased,
    CaseReassignmentRequested,
    CaseReceived,
    CaseReopened,
)
from sportello_shared.application import Incoming, Rejected, RetryLater
from sportello_shared.tenants import Organization

from .domain import (
    Assignment,
    CaseFacts,
    Decision,
    Directory,
    RuleSet,
    back_to_last,
)
from .domain import triage_first as tf
from .reads import RoutingReads

DECLINED_REASON = "non di competenza (motivo nel fascicolo di intake)"


class RoutingReactions(RoutingReads):
    def aggregates_to_read(self, incoming: Incoming) -> Iterable[UUID]:
        """The case's assignment, and its tenant's directory and rules: one query per batch."""
        case_id = getattr(incoming.payload, "case_id", None)
        if not isinstance(case_id, str):
            return ()
        tenant = incoming.envelope.tenant
        return (
            Assignment.create_id(case_id),
            Directory.create_id(tenant),
            RuleSet.create_id(tenant),
        )

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Other public events are not routing's business."""

    @react.register
    def _(
        self, payload: CaseReceived, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        if self.tenants.get(incoming.envelope.tenant) is None:
            raise Rejected(f"unknown tenant {incoming.envelope.tenant!r}")
        if self._find(Assignment, Assignment.create_id(payload.case_id)) is not None:
            return  # already decided: a replayed received event changes nothing
        if payload.answered_on_the_spot:
            return  # closed at registration: the answer was given on the call, nobody to route to
        personal = incoming.personal
        if personal is None:  # the runner asks intake first (ConsumerSpec.personal_data)
            raise RetryLater(f"no description for {payload.reference} from intake yet")
        location = personal.location
        facts = CaseFacts(
            tenant=incoming.envelope.tenant,
            kind=payload.kind.value,
            channel=payload.channel.value,
            category=payload.category,
            description=personal.description or "",
            lat=location.lat if location else None,
            lon=location.lon if location else None,
        )
        assignment = Assignment.open(payload.case_id, payload.reference, facts)
        decision = self._first_decision(facts)
        assignment.record(
            decision, self.clock(), cause="received", traceparent=incoming.envelope.traceparent
        )
        processing_event.collect_events(assignment)

    @react.register
    def _(
        self,
        payload: CaseReassignmentRequested,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        assignment = self._decided(payload.case_id)
        now = self.clock()
        # the office's reason is intake's (the event says only that there is one)
        assignment.decline(payload.organization, DECLINED_REASON, now)
        decision = self.explain(assignment.facts, assignment.declined).decision
        assignment.record(
            decision, now, cause="reassignment_requested", traceparent=incoming.envelope.traceparent
        )
        processing_event.collect_events(assignment)

    @react.register
    def _(
        self, payload: CaseClassified, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """A case that came by itself, classified by the triage: routed again on its category
        and kind, by the rules (an office that declined it stays excluded)."""
        assignment = self._decided(payload.case_id)
        facts = assignment.facts
        if (facts.kind, facts.category) == (payload.kind.value, payload.category):
            return  # the same classification delivered again: decided already
        now = self.clock()
        assignment.reclassify(payload.kind.value, payload.category, now)
        decision = self._first_decision(assignment.facts, assignment.declined)
        assignment.record(
            decision, now, cause="classified", traceparent=incoming.envelope.traceparent
        )
        processing_event.collect_events(assignment)

    @react.register
    def _(
        self, payload: CaseReopened, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        assignment = self._decided(payload.case_id)
        decision = self._back_to_last(assignment)
        assignment.record(
            decision, self.clock(), cause="reopened", traceparent=incoming.envelope.traceparent
        )
        processing_event.collect_events(assignment)

    # --- the triage-first workflow (issue 18, point 2) -------------------------------------

    def _first_decision(self, facts: CaseFacts, declined: list[str] | None = None) -> Decision:
        """The rules' choice; in a triage-first tenant, the front office, with that choice."""
        by_rules = self.explain(facts, declined or ()).decision
        front = self._front_office(facts.tenant)
        return tf.to_front_office(front, by_rules) if front is not None else by_rules

    def _front_office(self, tenant_id: str) -> Organization | None:
        """The triage-first tenant's front office (None: a direct tenant)."""
        tenant = self.tenant(tenant_id)
        if not tenant.triage_first:
            return None
        front = self.directory(tenant_id).organizations.get(tenant.triage)
        return front if front is not None and front.accepts_cases else None

    @react.register
    def _(
        self, payload: CaseForwarded, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """The front office forwards the case: to its choice, or to the rules' (never back to
        itself nor to an office that declined)."""
        assignment = self._decided(payload.case_id)
        front_office = self.tenant(assignment.tenant).triage
        by_rules = self.explain(assignment.facts, [*assignment.declined, front_office]).decision
        organizations = self.directory(assignment.tenant).organizations
        chosen = organizations.get(payload.to or "")
        front = organizations.get(front_office)
        category = assignment.facts.category
        decision = tf.forwarded(payload.to, chosen, front, front_office, by_rules, category)
        assignment.record(
            decision,
            self.clock(),
            cause="forwarded",
            traceparent=incoming.envelope.traceparent,
            actor=payload.actor,
        )
        processing_event.collect_events(assignment)

    @react.register
    def _(
        self,
        payload: CaseOfficeAnswered,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        """The competent office answered: the case is the front office's again."""
        assignment = self._decided(payload.case_id)
        front = self._front_office(assignment.tenant)
        if front is None or assignment.organization == front.id:
            return  # a direct tenant, or the answer delivered again
        version = self.ruleset(assignment.tenant).version
        office = incoming.envelope.organization
        decision = tf.back_to_front_office(office, front, version)
        cause = "office_answered"
        trace = incoming.envelope.traceparent
        assignment.record(decision, self.clock(), cause=cause, traceparent=trace)
        processing_event.collect_events(assignment)

    # --- end of the triage-first workflow -----------------------------------------------------

    def _back_to_last(self, assignment: Assignment) -> Decision:
        organizations = self.directory(assignment.tenant).organizations
        last = organizations.get(assignment.organization or "")
        otherwise = self.explain(assignment.facts, assignment.declined)
        return back_to_last(last, self.ruleset(assignment.tenant).version, otherwise.decision)

    @react.register
    def _(
        self,
        payload: CasePersonalDataErased,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        """The citizen was forgotten at intake: the case's key goes, and with it the description
        in every decision's facts; who decided what, and why, stays."""
        self.vault.erase([payload.case_id], payload.actor or "intake-svc", payload.occurred_at)
        assignment = self._find(Assignment, Assignment.create_id(payload.case_id))
        if assignment is not None:
            assignment.erase_personal_data(payload.occurred_at)
            processing_event.collect_events(assignment)
