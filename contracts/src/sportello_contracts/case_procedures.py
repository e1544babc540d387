"""Casale Monferrato's procedures on a case (issue 18, point 6; seed 001): the application
protocolled, the site inspection (*sopralluogo*) scheduled and reported for the idoneità
alloggiativa, and the attestation issued as the outcome, on the legal 30-day term.

No personal data: a protocol number, dates, who inspects (an officer or a patrol), the SHA-256
of the stored report (the file itself stays with intake, erased with the citizen).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from .cases import _CaseEvent

SHA256 = r"^[0-9a-f]{64}$"


class CaseProtocolled(_CaseEvent):
    """The application was registered in the Comune's protocol, on `occurred_at`."""

    event: ClassVar[str] = "protocolled"

    protocol_number: str = Field(min_length=1, max_length=50, examples=["2026/000123"])


class CaseInspectionScheduled(_CaseEvent):
    """The site inspection is fixed: when and by whom. Scheduled again, the later event's
    date is the one that holds. The citizen is told."""

    event: ClassVar[str] = "inspection_scheduled"

    scheduled_for: AwareDatetime
    inspector: str = Field(min_length=1, max_length=200)


class CaseInspectionReported(_CaseEvent):
    """The inspection's report (*verbale*) is on the case: the SHA-256 of the stored file,
    and what it found."""

    event: ClassVar[str] = "inspection_reported"

    report_sha256: str = Field(pattern=SHA256)
    finding: Literal["idoneo", "non_idoneo"]


class CaseAttestationIssued(_CaseEvent):
    """The procedure's outcome: the attestation, its number and date. The case is resolved
    (`outcome_kind` attestation) as by `case.resolved`; the legal 30-day clock stops here. The
    text the citizen reads travels as `has_outcome`/`outcome_length` only."""

    event: ClassVar[str] = "attestation_issued"

    outcome_kind: Literal["attestation"] = "attestation"
    attestation_number: str = Field(min_length=1, max_length=50)
    issued_on: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", examples=["2026-12-21"])
    has_outcome: bool = False
    outcome_length: int = Field(default=0, ge=0)
