"""What intake's staff API answers: a case as the file of record, and search results."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field
from sportello_shared.public_site import follow_url, public_site_base

from .domain import Case
from .domain.procedures import procedure_facts
from .search import CaseRow, from_micros


class CaseView(BaseModel):
    case_id: UUID
    reference: str
    tenant: str
    status: str
    kind: str
    channel: str
    category: str
    organization: str | None
    organization_name: str | None
    expected_at: datetime | None
    received_at: datetime
    registered_at: datetime
    outcome: str | None
    personal_data_erased_at: datetime | None = None
    follow_url: str = Field(default="", description="the citizen's status page, to tell them")
    timeline: list[dict[str, Any]]
    description: str | None = None
    location: dict[str, Any] | None = None
    handling_mode: str | None = None
    attachments: list[dict[str, Any]] | None = None
    citizen: dict[str, Any] | None = Field(
        default=None, description="who asked and how to reach them: not shown to auditors"
    )
    # Casale's procedures (issue 18 point 6): protocol number, inspection, attestation
    protocol: dict[str, Any] | None = None
    inspection: dict[str, Any] | None = None
    attestation: dict[str, Any] | None = None

    @classmethod
    def of(cls, case: Case, dossier: bool = False) -> CaseView:
        """`dossier`: with the description, place and citizen's contact (for who handles it)."""
        return cls(
            case_id=case.id,
            reference=case.reference,
            tenant=case.tenant,
            status=case.status.value,
            kind=case.kind,
            channel=case.channel,
            category=case.category,
            organization=case.organization,
            organization_name=case.organization_name,
            expected_at=case.expected_at,
            received_at=case.received_at,
            registered_at=case.registered_at,
            outcome=case.outcome,
            personal_data_erased_at=case.personal_data_erased_at,
            follow_url=follow_url(public_site_base(), case.tenant, case.follow_token),
            timeline=case.timeline,
            **procedure_facts(case),
            **(_dossier_fields(case) if dossier else {}),
        )


def _dossier_fields(case: Case) -> dict[str, Any]:
    return {
        "description": case.description,
        "location": case.location,
        "handling_mode": case.handling_mode,
        "attachments": case.attachments,
        "citizen": case.citizen,
    }


class CaseSummary(BaseModel):
    case_id: str
    reference: str
    tenant: str
    status: str
    organization: str | None
    category: str
    kind: str
    channel: str
    received_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: CaseRow) -> CaseSummary:
        return cls(
            **{k: getattr(row, k) for k in ("case_id", "reference", "tenant", "status")},
            **{k: getattr(row, k) for k in ("organization", "category", "kind", "channel")},
            received_at=from_micros(row.received_us),
            updated_at=from_micros(row.updated_us),
        )


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int
