"""The history of routing decisions for one case, with the facts they were taken on."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from sportello_shared.personal_data import ERASED_TEXT

from .decide import Decision
from .rules import CaseFacts

ASSIGNMENT_NAMESPACE = UUID("0e9a7c52-61f3-4b8e-9d2a-5c4b3a291f07")


class Assignment(Aggregate):
    """Who handles one case now, who declined it, and every decision with its rule and version."""

    class Decided(Aggregate.Event):
        """`note` is an operator's own words on a manual reassignment: sealed under the case's
        key like the description (it may name the citizen), erased with it, never published."""

        personal_data: ClassVar[dict[str, Any]] = {"note": ERASED_TEXT}
        personal_data_subject: ClassVar[str] = "case_id"

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
        actor: str | None
        cause: str
        note: str = ""

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Assignment)
            aggregate.organization = self.organization
            aggregate.history.append(
                {
                    "outcome": self.outcome,
                    "cause": self.cause,
                    "organization": self.organization,
                    "organization_name": self.organization_name,
                    "rule_id": self.rule_id,
                    "rule_version": self.rule_version,
                    "reasons": [*self.reasons, self.note]
                    if self.note and self.cause == "manual"
                    else self.reasons,
                    "actor": self.actor,
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

    class Opened(Aggregate.Created):
        """v2 keeps what the citizen wrote apart from the other facts, sealed under the case's
        key (crypto-shredding: intake's erasure of the case erases routing's copy too)."""

        class_version = 2
        personal_data: ClassVar[dict[str, Any]] = {"description": ERASED_TEXT}
        personal_data_subject: ClassVar[str] = "case_id"

        case_id: str
        tenant: str
        reference: str
        facts: dict[str, Any]
        description: str = ""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["description"] = state["facts"].pop("description", "")

    @event(Opened)
    def __init__(
        self,
        case_id: str,
        tenant: str,
        reference: str,
        facts: dict[str, Any],
        description: str = "",
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.reference = reference
        self.facts_record = facts | {"description": description}
        self.organization: str | None = None
        self.declined: list[str] = []
        self.history: list[dict[str, Any]] = []
        self.personal_data_erased_at: datetime | None = None

    @classmethod
    def open(cls, case_id: str, reference: str, facts: CaseFacts) -> Assignment:
        recorded = asdict(facts)
        description = recorded.pop("description")
        return cls(case_id, facts.tenant, reference, recorded, description)

    def erase_personal_data(self, at: datetime) -> None:
        """What the citizen wrote is forgotten; the decisions and their reasons stay."""
        if self.personal_data_erased_at is None:
            self._personal_data_erased(at=at)

    @event("PersonalDataErased")
    def _personal_data_erased(self, at: datetime) -> None:
        self.facts_record = self.facts_record | {"description": ERASED_TEXT}
        self.personal_data_erased_at = at

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return uuid5(ASSIGNMENT_NAMESPACE, case_id)

    @property
    def facts(self) -> CaseFacts:
        return CaseFacts(**self.facts_record)

    @event("Reclassified")
    def reclassify(self, kind: str, category: str, occurred_at: datetime) -> None:
        """The triage said what the case is about: the next decisions are taken on that."""
        self.facts_record = self.facts_record | {"kind": kind, "category": category}
        self.history.append(
            {
                "outcome": "classified",
                "reasons": [f"classified as {category} ({kind})"],
                "occurred_at": occurred_at.isoformat(),
            }
        )

    @event("Declined")
    def decline(self, organization: str, reason: str, occurred_at: datetime) -> None:
        """An organization said the case is not theirs: routing never sends it back there."""
        if organization not in self.declined:
            self.declined.append(organization)
        self.history.append(
            {
                "outcome": "declined",
                "organization": organization,
                "reasons": [reason],
                "occurred_at": occurred_at.isoformat(),
            }
        )

    @property
    def is_assigned(self) -> bool:
        """An organization has the case (its last decision assigned it, not a failure)."""
        return bool(self.history) and self.history[-1].get("outcome") == "assigned"

    def reassign(
        self, decision: Decision, occurred_at: datetime, actor: str, note: str = ""
    ) -> bool:
        """An operator's reassignment; the same one again (a double click, a retry) changes
        nothing: one event, one mail. Returns whether anything was recorded."""
        if self.is_assigned and self.organization == decision.organization:
            return False
        self.record(decision, occurred_at, cause="manual", actor=actor, note=note)
        return True

    def record(
        self,
        decision: Decision,
        occurred_at: datetime,
        *,
        cause: str,
        traceparent: str | None = None,
        actor: str | None = None,
        note: str = "",
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
            actor=actor,
            cause=cause,
            note=note,
        )
