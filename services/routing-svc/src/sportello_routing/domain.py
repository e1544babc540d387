"""Who handles a case, and why: routing decisions as an event-sourced Assignment per case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from sportello_shared.tenants import Tenant

ASSIGNMENT_NAMESPACE = UUID("0e9a7c52-61f3-4b8e-9d2a-5c4b3a291f07")
CATEGORY_TABLE_VERSION = 1


@dataclass(frozen=True)
class Decision:
    """Routing's answer: an organization with the rule that chose it, or a failure to triage."""

    organization: str
    organization_name: str
    rule_id: str
    rule_version: int
    reasons: tuple[str, ...]
    failed: bool = False


def decide(tenant: Tenant, category: str) -> Decision:
    """The category table of the tenant's catalogue (rule `category:<service_code>`)."""
    triage = tenant.organization(tenant.triage)
    assert triage is not None  # the Tenant model guarantees it
    entry = tenant.category(category)
    if entry is None:
        return _to_triage(triage.id, triage.name, f"category {category!r} is not in the catalogue")
    organization = tenant.organization(entry.organization)
    if organization is None or not organization.accepts_cases:
        return _to_triage(triage.id, triage.name, f"{entry.organization} does not accept cases")
    return Decision(
        organization=organization.id,
        organization_name=organization.name,
        rule_id=f"category:{entry.service_code}",
        rule_version=CATEGORY_TABLE_VERSION,
        reasons=(
            f"category {entry.service_code!r} ({entry.name}) is handled by {organization.name}",
        ),
    )


def _to_triage(triage: str, name: str, reason: str) -> Decision:
    return Decision(triage, name, "triage", CATEGORY_TABLE_VERSION, (reason,), failed=True)


class Assignment(Aggregate):
    """The history of routing decisions for one case."""

    class Decided(Aggregate.Event):
        tenant: str
        case_id: str
        reference: str
        organization: str
        organization_name: str
        rule_id: str
        rule_version: int
        reasons: list[str]
        occurred_at: datetime
        traceparent: str | None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Assignment)
            aggregate.organization = self.organization
            aggregate.history.append(
                {
                    "outcome": self.outcome,
                    "organization": self.organization,
                    "rule_id": self.rule_id,
                    "rule_version": self.rule_version,
                    "reasons": self.reasons,
                    "occurred_at": self.occurred_at.isoformat(),
                }
            )

        @property
        def outcome(self) -> str:
            return "routing_failed" if isinstance(self, Assignment.RoutingFailed) else "assigned"

    class Assigned(Decided):
        pass

    class RoutingFailed(Decided):
        pass

    @event("Opened")
    def __init__(self, case_id: str, tenant: str, reference: str) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.reference = reference
        self.organization: str | None = None
        self.history: list[dict[str, Any]] = []

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return uuid5(ASSIGNMENT_NAMESPACE, case_id)

    def apply_decision(
        self, decision: Decision, occurred_at: datetime, traceparent: str | None
    ) -> None:
        self.trigger_event(
            self.RoutingFailed if decision.failed else self.Assigned,
            tenant=self.tenant,
            case_id=self.case_id,
            reference=self.reference,
            organization=decision.organization,
            organization_name=decision.organization_name,
            rule_id=decision.rule_id,
            rule_version=decision.rule_version,
            reasons=list(decision.reasons),
            occurred_at=occurred_at,
            traceparent=traceparent,
        )
