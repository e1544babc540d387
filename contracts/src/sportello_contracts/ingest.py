"""What other platforms and partner companies publish on `ingest.<tenant>.<source>`."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from .cases import Citizen, HandlingMode, Kind, Location
from .envelope import EventPayload


class CaseSubmitted(EventPayload):
    """A new case from another municipal platform; (source, external_id) makes it idempotent."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "submitted"

    external_id: str = Field(min_length=1, max_length=200)
    kind: Kind
    category: str = Field(min_length=1, max_length=63)
    description: str = Field(min_length=1, max_length=4000)
    citizen: Citizen
    location: Location | None = None
    handling_mode: HandlingMode | None = None
    received_at: AwareDatetime | None = None


class ReportedStatus(StrEnum):
    TAKEN_IN_CHARGE = "taken_in_charge"
    CONTACTED = "contacted"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CaseStatusReported(EventPayload):
    """A partner company's own system reporting progress on a case assigned to it."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "status_reported"

    case_id: str = Field(min_length=1, max_length=100)
    status: ReportedStatus
    note: str = Field(default="", max_length=4000, description="contact note or outcome text")
    operator: str = Field(default="partner", min_length=1, max_length=200)
    occurred_at: AwareDatetime | None = None
