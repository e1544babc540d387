"""Casale Monferrato's procedures (issue 18, point 6): the application protocolled, the site
inspection (*sopralluogo*) scheduled and reported for the idoneità alloggiativa, and the
attestation issued as the outcome, "nel termine di legge (30 gg.)" (seed 001).

Events of the transition table. Each keeps what it adds on the case (`protocol`,
`inspection`, `attestation`) and writes its facts in the timeline; none is personal: a
protocol number, a date, who inspects, the SHA-256 of the stored report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .events import STORED_MODULE, LifecycleEvent, Resolved, _case
from .status import Status

Finding = Literal["idoneo", "non_idoneo"]
PROTOCOL_NAMESPACE = UUID("6f0e2c8a-51b3-4d7e-9c1a-2b8d4e6f0a17")


class _ProcedureStep(LifecycleEvent):
    """A step that leaves the status as it is and adds facts to the case and its timeline."""

    TOPIC = f"{STORED_MODULE}:Case._ProcedureStep"
    status: ClassVar[Status | None] = None

    def facts(self) -> dict[str, Any]:
        raise NotImplementedError

    def record(self, case: Any, facts: dict[str, Any]) -> None:
        raise NotImplementedError

    def apply(self, aggregate: Aggregate) -> None:
        super().apply(aggregate)
        case = _case(aggregate)
        facts = self.facts()
        case.timeline[-1].update(facts)
        self.record(case, facts)


class Protocolled(_ProcedureStep):
    """Registered in the Comune's protocol: its number (e.g. `2026/000123`), on the day the
    event occurred."""

    TOPIC = f"{STORED_MODULE}:Case.Protocolled"
    protocol_number: str

    def facts(self) -> dict[str, Any]:
        return {
            "protocol_number": self.protocol_number,
            "protocolled_at": self.occurred_at.isoformat(),
        }

    def record(self, case: Any, facts: dict[str, Any]) -> None:
        case.protocolled = facts


class InspectionScheduled(_ProcedureStep):
    """The site inspection is fixed: when, by whom (an officer, a patrol of the Polizia
    Locale). Scheduled again, it replaces the previous date."""

    TOPIC = f"{STORED_MODULE}:Case.InspectionScheduled"
    scheduled_for: datetime
    inspector: str

    def facts(self) -> dict[str, Any]:
        return {"scheduled_for": self.scheduled_for.isoformat(), "inspector": self.inspector}

    def record(self, case: Any, facts: dict[str, Any]) -> None:
        case.inspection = {**facts, "status": "scheduled"}


class InspectionReported(_ProcedureStep):
    """The inspection's report (*verbale*) is on the file: `report` is the SHA-256 of the
    stored attachment; `finding` what it found."""

    TOPIC = f"{STORED_MODULE}:Case.InspectionReported"
    report: str
    finding: str

    def facts(self) -> dict[str, Any]:
        return {"report": self.report, "finding": self.finding}

    def record(self, case: Any, facts: dict[str, Any]) -> None:
        inspection = dict(getattr(case, "inspection", None) or {})
        case.inspection = {**inspection, **facts, "status": "reported"}


class AttestationIssued(Resolved):
    """The outcome of an attestation procedure: its number and date, and the text the citizen
    reads (`outcome`). The case is resolved: closing it tells the citizen."""

    TOPIC = f"{STORED_MODULE}:Case.AttestationIssued"
    attestation_number: str = ""
    issued_on: str = ""  # ISO date, e.g. 2026-12-21

    def apply(self, aggregate: Aggregate) -> None:
        super().apply(aggregate)
        case: Any = _case(aggregate)
        facts = {
            "outcome_kind": "attestation",
            "attestation_number": self.attestation_number,
            "issued_on": self.issued_on,
        }
        case.timeline[-1].update(facts)
        case.attestation = facts


def procedure_facts(case: Any) -> dict[str, dict[str, Any] | None]:
    """What the procedures added to a case (None where nothing), for its views."""
    return {
        "protocol": getattr(case, "protocolled", None),
        "inspection": getattr(case, "inspection", None),
        "attestation": getattr(case, "attestation", None),
    }


class ProtocolYear(Aggregate):
    """The protocol register intake keeps for a tenant, one per year: numbers `2026/000123`,
    each given once (a number drawn for a case that then failed to save is skipped)."""

    __module__ = STORED_MODULE

    @event("Opened")
    def __init__(self, tenant: str, year: int) -> None:
        self.tenant = tenant
        self.year = year
        self.last = 0

    @staticmethod
    def create_id(tenant: str, year: int) -> UUID:
        return uuid5(PROTOCOL_NAMESPACE, f"{tenant}/{year}")

    @event("NumberGiven")
    def give(self) -> None:
        self.last += 1
