"""The Case aggregate: the file of record of one thing a citizen asked the city."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

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


ROUTABLE = {
    Status.RECEIVED,
    Status.REASSIGNMENT_REQUESTED,
    Status.REOPENED,
    Status.ASSIGNED,
    Status.ROUTING_FAILED,
}
IN_HANDS_OF_OFFICE = {Status.TAKEN_IN_CHARGE, Status.CITIZEN_CONTACTED}


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


class Case(Aggregate):
    class Registered(Aggregate.Created):
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
        received_at: datetime
        registered_at: datetime
        actor: str
        traceparent: str | None

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
        received_at: datetime,
        registered_at: datetime,
        actor: str,
        traceparent: str | None,
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
        self.received_at = received_at
        self.registered_at = registered_at
        self.status = Status.RECEIVED
        self.organization: str | None = None
        self.outcome: str | None = None
        self.last_occurred_at = received_at
        self.timeline: list[dict[str, Any]] = []
        self._record("received", received_at, actor)

    @classmethod
    def register(cls, *, case_id: UUID, **fields: Any) -> Case:
        return cls._create(cls.Registered, id=case_id, **fields)

    # --- what routing decided (consumed from routing-svc) -------------------------------------

    @event("AssignmentRecorded")
    def record_assignment(
        self, organization: str, occurred_at: datetime, traceparent: str | None
    ) -> None:
        self.organization = organization
        if self.status in ROUTABLE:
            self.status = Status.ASSIGNED
        self._record("assigned", occurred_at, "routing-svc", organization=organization)

    @event("RoutingFailureRecorded")
    def record_routing_failure(
        self, triage_organization: str, reason: str, occurred_at: datetime, traceparent: str | None
    ) -> None:
        self.organization = triage_organization
        if self.status in ROUTABLE:
            self.status = Status.ROUTING_FAILED
        self._record("routing_failed", occurred_at, "routing-svc", reason=reason)

    # --- office commands ----------------------------------------------------------------------

    def take_in_charge(
        self, operator: str, occurred_at: datetime, now: datetime, traceparent: str | None
    ) -> None:
        self._check("take in charge", {Status.ASSIGNED, Status.ROUTING_FAILED, Status.REOPENED})
        self._check_occurrence(occurred_at, now)
        self._taken_in_charge(
            **self._context(), operator=operator, occurred_at=occurred_at, traceparent=traceparent
        )

    class TakenInCharge(Aggregate.Event):
        tenant: str
        reference: str
        organization: str | None
        operator: str
        occurred_at: datetime
        traceparent: str | None

    class Closed(Aggregate.Event):
        tenant: str
        reference: str
        organization: str | None
        outcome: str
        actor: str
        occurred_at: datetime
        traceparent: str | None

    @event(TakenInCharge)
    def _taken_in_charge(
        self,
        tenant: str,
        reference: str,
        organization: str | None,
        operator: str,
        occurred_at: datetime,
        traceparent: str | None,
    ) -> None:
        self.status = Status.TAKEN_IN_CHARGE
        self._record("taken_in_charge", occurred_at, operator, organization=organization)

    def close(
        self,
        outcome: str,
        actor: str,
        occurred_at: datetime,
        now: datetime,
        traceparent: str | None,
    ) -> None:
        self._check("close", IN_HANDS_OF_OFFICE | {Status.RESOLVED})
        self._check_occurrence(occurred_at, now)
        self._closed(
            **self._context(),
            outcome=outcome,
            actor=actor,
            occurred_at=occurred_at,
            traceparent=traceparent,
        )

    @event(Closed)
    def _closed(
        self,
        tenant: str,
        reference: str,
        organization: str | None,
        outcome: str,
        actor: str,
        occurred_at: datetime,
        traceparent: str | None,
    ) -> None:
        self.status = Status.CLOSED
        self.outcome = outcome
        self._record("closed", occurred_at, actor)

    # --- invariants ---------------------------------------------------------------------------

    def _context(self) -> dict[str, Any]:
        """Who and where, carried by each lifecycle event so it can be published on its own."""
        return {
            "tenant": self.tenant,
            "reference": self.reference,
            "organization": self.organization,
        }

    def _check(self, action: str, allowed: set[Status]) -> None:
        if self.status not in allowed:
            raise TransitionNotAllowed(action, self.status)

    def _check_occurrence(self, occurred_at: datetime, now: datetime) -> None:
        if occurred_at > now:
            raise InvalidOccurrence("occurred_at is in the future")
        if occurred_at < self.last_occurred_at:
            raise InvalidOccurrence("occurred_at is before the case's previous event")

    def _record(self, what: str, occurred_at: datetime, actor: str, **details: Any) -> None:
        self.last_occurred_at = max(self.last_occurred_at, occurred_at)
        self.timeline.append(
            {"event": what, "occurred_at": occurred_at.isoformat(), "actor": actor, **details}
        )


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
