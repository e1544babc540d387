"""The right to be forgotten (admin only, as every /admin/ route)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from .api import IntakeDep
from .bodies import _Body
from .forgetting import ErasureReport, ErasureRequest

router = APIRouter(tags=["admin"])


class ErasureBody(_Body):
    """Whose personal data: the citizen of a case, or their e-mail or phone (or several)."""

    case_id: UUID | None = None
    email: Annotated[str | None, Field(max_length=320)] = None
    phone: Annotated[str | None, Field(max_length=40)] = None

    @model_validator(mode="after")
    def names_the_citizen(self) -> ErasureBody:
        if self.case_id is None and not self.email and not self.phone:
            raise ValueError("name the citizen: case_id, email or phone")
        return self


class ErasedCase(BaseModel):
    case_id: UUID
    reference: str
    tenant: str


class ErasureView(BaseModel):
    erased_at: datetime
    data_keys_deleted: int
    cases: list[ErasedCase]

    @classmethod
    def of(cls, report: ErasureReport) -> ErasureView:
        cases = [
            ErasedCase(case_id=c.id, reference=c.reference, tenant=c.tenant) for c in report.cases
        ]
        return cls(erased_at=report.erased_at, data_keys_deleted=report.subjects, cases=cases)


@router.post("/admin/erasures", status_code=201)
async def erase_personal_data(body: ErasureBody, intake: IntakeDep) -> ErasureView:
    """Crypto-shred a citizen's personal data on every case of theirs (all must be closed).

    Their key is deleted: name, contact, description and location become unreadable in the
    whole history and every backup, while the cases' facts (dates, category, office, outcome)
    stay. `case.personal_data_erased` tells the other services to erase their copies.
    """
    request = ErasureRequest(body.case_id, body.email, body.phone)
    report = await intake.writer.call(
        intake.app.erase_personal_data, request, intake.actor, intake.traceparent
    )
    return ErasureView.of(report)
