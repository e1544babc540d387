"""The Case aggregate: the file of record of one thing a citizen asked the city."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from sportello_shared.personal_data import ERASED_TEXT

CASE_NAMESPACE = UUID("5b1f3c2e-7d4a-4c1e-9a53-0c6f2f7d8e11")
COUNTER_NAMESPACE = UUID("a3d0b6f4-2e51-4f0b-8a4e-3f7c9e1d2b60")


class Status(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    ROUTING_FAILED = "routing_failed"
    TAKEN_IN_CHARGE = "taken_in_charge"
    CITIZEN_CONTACTED = "citizen_contacted"
    WAITING_FOR_CITIZEN = "waiting_for_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    REASSIGNMENT_REQUESTED = "reassignment_requested"
    REJECTED = "rejected"


# Where routing's decision may land: a decision arriving later never undoes office work.
ROUTABLE = frozenset(
    {
        Status.RECEIVED,
        Status.REASSIGNMENT_REQUESTED,
        Status.REOPENED,
        Status.ASSIGNED,
        Status.ROUTING_FAILED,
    }
)
IN_HANDS_OF_OFFICE = frozenset({Status.TAKEN_IN_CHARGE, Status.CITIZEN_CONTACTED})
OPEN = frozenset(Status) - {Status.CLOSED, Status.REJECTED}


class CaseError(Exception):
    """Base of what the Case refuses."""


class TransitionNotAllowed(CaseError):
    def __init__(self, action: str, status: Status) -> None:
        super().__init__(f"cannot {action} a case that is {status.value}")


class InvalidOccurrence(CaseError):
    """An `occurred_at` in the future or before the case's previous event."""


def case_id_for(tenant: str, idempotency_key: str) -> UUID:
    """Retrying the same registration yields the same case, never a second one."""
    return uuid5(CASE_NAMESPACE, f"{tenant}/{idempotency_key}")


# What the citizen's personal data reads as once their key is erased (crypto-shredding).
ERASED_CITIZEN: dict[str, Any] = {"name": ERASED_TEXT}
PERSONAL_FIELDS_ERASED: dict[str, Any] = {
    "citizen": ERASED_CITIZEN,
    "description": ERASED_TEXT,
    "location": None,
    "attachments": [],
}


class Case(Aggregate):
    class Registered(Aggregate.Created):
        """v2 added `data_subject`: the citizen's pseudonym, whose key seals the personal fields."""

        class_version = 2
        personal_data: ClassVar[dict[str, Any]] = PERSONAL_FIELDS_ERASED

        tenant: str
        reference: str
        kind: str
        channel: str
        category: str
        description: str
        citizen: dict[str, Any]
        location: dict[str, Any] | None
        handling_mode: str | None
        external_ref: dict[str, str] | None
        attachments: list[dict[str, Any]]
        received_at: datetime
        registered_at: datetime
        actor: str
        traceparent: str | None
        data_subject: str = ""  # none: sealed by nobody's key, kept under the store's cipher only

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["data_subject"] = ""  # recorded before per-citizen keys: not erasable

    class LifecycleEvent(Aggregate.Event):
        """A step of the case's life, carrying who/where so it can be published on its own."""

        tenant: str
        reference: str
        organization: str | None
        actor: str
        occurred_at: datetime
        traceparent: str | None
        status: ClassVar[Status]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.enter(self)

    class Rejected(LifecycleEvent):
        status = Status.REJECTED
        reason: str

    class TakenInCharge(LifecycleEvent):
        status = Status.TAKEN_IN_CHARGE

    class CitizenContacted(LifecycleEvent):
        status = Status.CITIZEN_CONTACTED
        means: str
        note: str

    class WaitingForCitizen(LifecycleEvent):
        status = Status.WAITING_FOR_CITIZEN
        request: str

    class Resumed(LifecycleEvent):
        status = Status.TAKEN_IN_CHARGE  # replaced by the status before the wait

    class Resolved(LifecycleEvent):
        status = Status.RESOLVED
        outcome: str

    class Closed(LifecycleEvent):
        status = Status.CLOSED
        outcome: str

    class Reopened(LifecycleEvent):
        status = Status.REOPENED
        reason: str

    class ReassignmentRequested(LifecycleEvent):
        status = Status.REASSIGNMENT_REQUESTED
        reason: str

    @event(Registered)
    def __init__(
        self,
        tenant: str,
        reference: str,
        kind: str,
        channel: str,
        category: str,
        description: str,
        citizen: dict[str, Any],
        location: dict[str, Any] | None,
        handling_mode: str | None,
        external_ref: dict[str, str] | None,
        attachments: list[dict[str, Any]],
        received_at: datetime,
        registered_at: datetime,
        actor: str,
        traceparent: str | None,
        data_subject: str = "",
    ) -> None:
        self.tenant = tenant
        self.reference = reference
        self.kind = kind
        self.channel = channel
        self.category = category
        self.description = description
        self.citizen = citizen
        self.location = location
        self.handling_mode = handling_mode
        self.external_ref = external_ref
        self.attachments = attachments
        self.received_at = received_at
        self.registered_at = registered_at
        self.status = Status.RECEIVED
        self.status_before_wait: Status | None = None
        self.organization: str | None = None
        self.organization_name: str | None = None
        self.outcome: str | None = None
        self.deadlines: dict[str, datetime] = {}
        self.last_occurred_at = received_at
        self.timeline: list[dict[str, Any]] = []
        self.data_subject = data_subject
        self.personal_data_erased_at: datetime | None = None
        self._log("received", received_at, actor, channel=channel)

    @classmethod
    def register(cls, *, case_id: UUID, **fields: Any) -> Case:
        return cls._create(cls.Registered, id=case_id, **fields)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def updated_at(self) -> datetime:
        return self.last_occurred_at

    # --- facts recorded from other services ---------------------------------------------------

    class AssignmentRecorded(Aggregate.Event):
        """Routing's decision on the file, with what the new organization needs to act on it.

        v2 added tenant, reference and the dossier (published only to that organization);
        v3 the citizen's pseudonym, whose key seals the dossier.
        """

        class_version = 3
        personal_data: ClassVar[dict[str, Any]] = {"dossier": {}}

        organization: str
        organization_name: str
        occurred_at: datetime
        traceparent: str | None
        tenant: str
        reference: str
        dossier: dict[str, Any]
        data_subject: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(tenant="", reference="", dossier={})

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["data_subject"] = ""

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.organization = self.organization
            aggregate.organization_name = self.organization_name
            if aggregate.status in ROUTABLE:
                aggregate.status = Status.ASSIGNED
            aggregate._log(
                "assigned", self.occurred_at, "routing-svc", organization=self.organization
            )

    def record_assignment(
        self,
        organization: str,
        organization_name: str,
        occurred_at: datetime,
        traceparent: str | None,
    ) -> None:
        self.trigger_event(
            Case.AssignmentRecorded,
            organization=organization,
            organization_name=organization_name,
            occurred_at=occurred_at,
            traceparent=traceparent,
            tenant=self.tenant,
            reference=self.reference,
            dossier=self.dossier(),
            data_subject=self.data_subject,
        )

    def dossier(self) -> dict[str, Any]:
        """What an organization handling the case needs, contact included."""
        return {
            "kind": self.kind,
            "channel": self.channel,
            "category": self.category,
            "description": self.description,
            "citizen": self.citizen,
            "location": self.location,
            "handling_mode": self.handling_mode,
            "received_at": self.received_at.isoformat(),
            "attachments": self.attachments,
        }

    @event("RoutingFailureRecorded")
    def record_routing_failure(
        self,
        triage_organization: str,
        reason: str,
        occurred_at: datetime,
        traceparent: str | None,
    ) -> None:
        self.organization = triage_organization
        if self.status in ROUTABLE:
            self.status = Status.ROUTING_FAILED
        self._log("routing_failed", occurred_at, "routing-svc", reason=reason)

    @event("DeadlineRecorded")
    def record_deadline(self, standard: str, deadline: datetime) -> None:
        self.deadlines[standard] = deadline

    @event("PromiseKept")
    def record_deadline_met(self, standard: str) -> None:
        """A promise kept is no longer expected: Open311's expected_datetime moves on."""
        self.deadlines.pop(standard, None)

    @property
    def expected_at(self) -> datetime | None:
        """The nearest promise still open (Open311's `expected_datetime`)."""
        return min(self.deadlines.values()) if self.deadlines and self.is_open else None

    # --- the right to be forgotten ---------------------------------------------------------------

    class PersonalDataErased(Aggregate.Event):
        """The citizen's key was deleted: the file keeps its facts, not who asked or what."""

        tenant: str
        reference: str
        organization: str | None
        actor: str
        occurred_at: datetime
        traceparent: str | None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.forget_personal_data(self.occurred_at)
            aggregate._log("personal_data_erased", self.occurred_at, self.actor)

    def erase_personal_data(self, actor: str, now: datetime, traceparent: str | None) -> None:
        """Record the erasure; refused while the case is open (the office still needs the
        contact), and nothing new when it was recorded already."""
        if self.is_open:
            raise TransitionNotAllowed("erase the personal data of", self.status)
        if self.personal_data_erased_at is not None:
            return
        self.trigger_event(
            Case.PersonalDataErased,
            tenant=self.tenant,
            reference=self.reference,
            organization=self.organization,
            actor=actor,
            occurred_at=now,
            traceparent=traceparent,
        )

    def forget_personal_data(self, at: datetime) -> None:
        for name, erased in PERSONAL_FIELDS_ERASED.items():
            setattr(self, name, erased)
        self.personal_data_erased_at = at

    # --- commands -------------------------------------------------------------------------------

    def reject(self, reason: str, actor: str, now: datetime, traceparent: str | None) -> None:
        self._step(
            Case.Rejected, "reject", {Status.RECEIVED}, actor, now, now, traceparent, reason=reason
        )

    def take_in_charge(
        self, operator: str, occurred_at: datetime, now: datetime, traceparent: str | None
    ) -> None:
        allowed = {Status.ASSIGNED, Status.ROUTING_FAILED, Status.REOPENED}
        self._step(
            Case.TakenInCharge, "take in charge", allowed, operator, occurred_at, now, traceparent
        )

    def contact_citizen(
        self,
        means: str,
        note: str,
        actor: str,
        occurred_at: datetime,
        now: datetime,
        traceparent: str | None,
    ) -> None:
        self._step(
            Case.CitizenContacted,
            "record a contact on",
            IN_HANDS_OF_OFFICE,
            actor,
            occurred_at,
            now,
            traceparent,
            means=means,
            note=note,
        )

    def wait_for_citizen(
        self,
        request: str,
        actor: str,
        occurred_at: datetime,
        now: datetime,
        traceparent: str | None,
    ) -> None:
        self._step(
            Case.WaitingForCitizen,
            "wait for the citizen on",
            IN_HANDS_OF_OFFICE,
            actor,
            occurred_at,
            now,
            traceparent,
            request=request,
        )

    def resume(
        self, actor: str, occurred_at: datetime, now: datetime, traceparent: str | None
    ) -> None:
        self._step(
            Case.Resumed,
            "resume",
            {Status.WAITING_FOR_CITIZEN},
            actor,
            occurred_at,
            now,
            traceparent,
        )

    def resolve(
        self,
        outcome: str,
        actor: str,
        occurred_at: datetime,
        now: datetime,
        traceparent: str | None,
    ) -> None:
        self._step(
            Case.Resolved,
            "resolve",
            IN_HANDS_OF_OFFICE,
            actor,
            occurred_at,
            now,
            traceparent,
            outcome=outcome,
        )

    def close(
        self,
        outcome: str,
        actor: str,
        occurred_at: datetime,
        now: datetime,
        traceparent: str | None,
    ) -> None:
        self._step(
            Case.Closed,
            "close",
            IN_HANDS_OF_OFFICE | {Status.RESOLVED},
            actor,
            occurred_at,
            now,
            traceparent,
            outcome=outcome,
        )

    def reopen(
        self, reason: str, actor: str, occurred_at: datetime, now: datetime, traceparent: str | None
    ) -> None:
        self._step(
            Case.Reopened,
            "reopen",
            {Status.RESOLVED, Status.CLOSED},
            actor,
            occurred_at,
            now,
            traceparent,
            reason=reason,
        )

    def request_reassignment(
        self, reason: str, actor: str, occurred_at: datetime, now: datetime, traceparent: str | None
    ) -> None:
        allowed = {Status.ASSIGNED, Status.ROUTING_FAILED} | IN_HANDS_OF_OFFICE
        self._step(
            Case.ReassignmentRequested,
            "ask to reassign",
            allowed,
            actor,
            occurred_at,
            now,
            traceparent,
            reason=reason,
        )

    # --- how a lifecycle event changes the case ------------------------------------------------

    def enter(self, e: LifecycleEvent) -> None:
        if isinstance(e, Case.WaitingForCitizen):
            self.status_before_wait = self.status
        if isinstance(e, Case.Resumed):
            self.status = self.status_before_wait or Status.TAKEN_IN_CHARGE
        else:
            self.status = e.status
        if isinstance(e, Case.Resolved | Case.Closed):
            self.outcome = e.outcome
        if isinstance(e, Case.Reopened):
            self.outcome = None
        details = {
            k: getattr(e, k)
            for k in ("means", "note", "request", "outcome", "reason")
            if hasattr(e, k)
        }
        self._log(_event_name(e), e.occurred_at, e.actor, **details)

    def _step(
        self,
        event_class: type[LifecycleEvent],
        action: str,
        allowed: set[Status] | frozenset[Status],
        actor: str,
        occurred_at: datetime,
        now: datetime,
        traceparent: str | None,
        **details: str,
    ) -> None:
        if self.status not in allowed:
            raise TransitionNotAllowed(action, self.status)
        if occurred_at > now:
            raise InvalidOccurrence("occurred_at is in the future")
        if occurred_at < self.last_occurred_at:
            raise InvalidOccurrence("occurred_at is before the case's previous event")
        self.trigger_event(
            event_class,
            tenant=self.tenant,
            reference=self.reference,
            organization=self.organization,
            actor=actor,
            occurred_at=occurred_at,
            traceparent=traceparent,
            **details,
        )

    def _log(self, what: str, occurred_at: datetime, actor: str, **details: Any) -> None:
        self.last_occurred_at = max(self.last_occurred_at, occurred_at)
        self.timeline.append(
            {"event": what, "occurred_at": occurred_at.isoformat(), "actor": actor, **details}
        )


def _event_name(e: Case.LifecycleEvent) -> str:
    """`CitizenContacted` → `citizen_contacted`: the public event's name."""
    name = type(e).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


class ReferenceCounter(Aggregate):
    """Hands out a tenant's human reference numbers for one year (TO-2026-000123).

    Gap-tolerant: a number is used once; if a registration fails after issuing it, it is skipped.
    """

    @event("Started")
    def __init__(self, tenant: str, year: int) -> None:
        self.tenant = tenant
        self.year = year
        self.last = 0

    @staticmethod
    def create_id(tenant: str, year: int) -> UUID:
        return uuid5(COUNTER_NAMESPACE, f"{tenant}/{year}")

    @event("Issued")
    def issue(self) -> None:
        self.last += 1
