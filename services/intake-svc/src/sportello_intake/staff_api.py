"""The console's questions to intake, and the URP's decision on a citizen's reopen request.

The queries are POSTs so that a citizen's e-mail or phone never travels in a URL (access logs);
each answer holds only the cases the token may read.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, EmailStr, Field
from sportello_contracts.cases import Kind
from sportello_shared import outages
from sportello_shared.auth import ACTOR_NOTE, Role
from sportello_shared.problems import Refusal

from .api import IntakeDep
from .bodies import ReasonRequest, _Body
from .classification import ClassifyCase, classify_case, recategorise_case
from .domain import Case
from .reopen_decisions import decline_reopening
from .search import CaseRow
from .staff_queries import cases_of_contacts, possible_duplicates
from .views import CaseSummary, CaseView

router = APIRouter(tags=["cases"])
Email = Annotated[str | None, Field(default=None, max_length=320)]
Phone = Annotated[str | None, Field(default=None, max_length=40)]


class ContactQueryBody(_Body):
    email: Email = None
    phone: Phone = None
    open_only: bool = False
    limit: int = Field(default=50, ge=1, le=200)


class DuplicatesBody(_Body):
    tenant: str = Field(min_length=1, max_length=63)
    category: str | None = Field(default=None, max_length=63)
    address: str | None = Field(default=None, max_length=300)
    email: Email = None
    phone: Phone = None


class FoundCase(CaseSummary):
    matched: list[Literal["citizen", "place"]] = Field(default_factory=list)


class FoundCases(BaseModel):
    items: list[FoundCase]


def _found(case: Case, matched: list[str] | None = None) -> FoundCase:
    summary = CaseSummary.of(CaseRow.of(case))
    return FoundCase(**summary.model_dump(), matched=matched or [])


@router.post("/cases/queries/by-contact")
async def cases_by_contact(body: ContactQueryBody, intake: IntakeDep) -> FoundCases:
    """The citizen's cases by their e-mail or phone: an exact match on its pseudonym."""
    if not body.email and not body.phone:
        raise Refusal(
            422,
            it="indichi l'e-mail o il telefono del cittadino",
            en="name the citizen's email or phone",
        )
    found = await outages.read(
        cases_of_contacts, intake.app, body.email, body.phone, body.open_only
    )
    readable = [c for c in found if intake.principal.may_read(c.tenant, c.organization)]
    return FoundCases(items=[_found(c) for c in readable[: body.limit]])


@router.post("/cases/queries/duplicates")
async def duplicates(body: DuplicatesBody, intake: IntakeDep) -> FoundCases:
    """Before registering: open cases of the same citizen, or of the category at the address."""
    principal = intake.principal
    if not principal.may_read(body.tenant, None) and not principal.is_admin:
        raise Refusal(
            403,
            it=f"questo accesso non può cercare tra le pratiche di {body.tenant}",
            en=f"this token may not search {body.tenant}",
        )
    matches = await outages.read(
        possible_duplicates,
        intake.app,
        body.tenant,
        body.category,
        body.address,
        body.email,
        body.phone,
    )
    readable = [m for m in matches if principal.may_read(m.case.tenant, m.case.organization)]
    return FoundCases(items=[_found(m.case, m.reasons) for m in readable[:20]])


@router.post("/cases/{case_id}/reopen-request/decline")
async def decline_reopen_request(case_id: UUID, body: ReasonRequest, intake: IntakeDep) -> CaseView:
    """The URP (contact centre, admin) keeps the case closed; the citizen reads the reason."""
    if not intake.principal.roles & {Role.OPERATOR, Role.ADMIN}:
        raise Refusal(
            403,
            it="sulle richieste di riapertura decide l'URP",
            en="the URP decides on reopen requests",
        )
    return await intake.run(
        lambda *args: decline_reopening(intake.app, *args),
        case_id,
        body.reason,
        intake.actor,
        intake.traceparent,
    )


class CitizenCompletion(_Body):
    """What the call-taker learnt of who wrote or called: added to what the message said."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()./-]{5,30}$")
    address: str | None = Field(default=None, min_length=3, max_length=300)
    language: Literal["it", "en"] | None = None


class ClassifyRequest(_Body):
    actor: str = Field(default="office", min_length=1, max_length=200, description=ACTOR_NOTE)
    category: str = Field(min_length=1, max_length=63, description="one of the tenant's")
    kind: Kind | None = Field(default=None, description="none: as registered")
    citizen: CitizenCompletion | None = None


@router.post("/cases/{case_id}/classify")
async def classify(case_id: UUID, body: ClassifyRequest, intake: IntakeDep) -> CaseView:
    """The triage (contact centre, URP) says what a case registered `da_classificare` is about
    (a message from a mailbox): its category and kind, and who the citizen is. Routing then
    routes it again, and the SLA clocks of its category start from when it was received."""
    if not intake.principal.roles & {Role.OPERATOR, Role.ADMIN}:
        raise Refusal(
            403,
            it="le pratiche le classifica lo smistamento (contact center, URP)",
            en="the triage (contact centre, URP) classifies cases",
        )
    citizen = body.citizen.model_dump(exclude_none=True) if body.citizen else None
    command = ClassifyCase(
        case_id=case_id,
        category=body.category,
        actor=intake.actor,
        kind=body.kind.value if body.kind else None,
        citizen=citizen,
        traceparent=intake.traceparent,
    )
    return await intake.run(lambda *_: classify_case(intake.app, command), case_id)


class RecategoriseRequest(_Body):
    actor: str = Field(default="office", min_length=1, max_length=200, description=ACTOR_NOTE)
    category: str = Field(min_length=1, max_length=63, description="one of the tenant's")
    kind: Kind | None = Field(default=None, description="none: as it is")


@router.post("/cases/{case_id}/recategorise", responses={409: {"description": "not now"}})
async def recategorise(case_id: UUID, body: RecategoriseRequest, intake: IntakeDep) -> CaseView:
    """The triage corrects a classified case's kind or category (a *reclamo* registered as a
    *segnalazione*): `case.classified` again, so routing routes it again and the SLA starts the
    standards that now apply (e.g. the 30-day answer to a complaint) from its `received_at`."""
    if not intake.principal.roles & {Role.OPERATOR, Role.ADMIN}:
        raise Refusal(
            403,
            it="le pratiche le ricategorizza il triage (contact center, URP)",
            en="the triage (contact centre, URP) recategorises cases",
        )
    command = ClassifyCase(
        case_id=case_id,
        category=body.category,
        actor=intake.actor,
        kind=body.kind.value if body.kind else None,
    )
    return await intake.run(lambda *_: recategorise_case(intake.app, command), case_id)
