"""intake-svc's HTTP API: thin translation between requests and the application's use cases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sportello_shared.application import Writer
from sportello_shared.auth import (
    ANONYMOUS_DEVELOPER,
    CurrentPrincipal,
    Role,
    require_act,
    require_read,
)
from sportello_shared.contracts.cases import Channel, Citizen, HandlingMode, Kind, Location
from sportello_shared.tracing import child_traceparent

from .application import (
    ErasureReport,
    ErasureRequest,
    IntakeApplication,
    RegisterCase,
    Registration,
)
from .domain import Case, Status
from .search import CaseQuery, CaseRow, from_micros


def _not_in_future(value: datetime | None) -> datetime | None:
    if value is not None:
        if value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2025-12-05T10:00:00+01:00")
        if value > datetime.now(UTC):
            raise ValueError("must not be in the future")
    return value


When = Annotated[datetime | None, AfterValidator(_not_in_future)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ExternalRef(_Body):
    source: str = Field(min_length=1, max_length=100)
    id: str = Field(min_length=1, max_length=200)


class Attachment(_Body):
    """A reference to a document kept elsewhere (protocol system, object store)."""

    uri: str = Field(min_length=1, max_length=1000)
    name: str = Field(default="", max_length=200)
    media_type: str = Field(default="application/octet-stream", max_length=100)


class RegisterCaseRequest(_Body):
    tenant: str = Field(min_length=1, max_length=63)
    kind: Kind
    channel: Channel
    category: str = Field(min_length=1, max_length=63)
    description: str = Field(min_length=1, max_length=4000)
    citizen: Citizen
    location: Location | None = None
    handling_mode: HandlingMode | None = None
    external_ref: ExternalRef | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    received_at: When = None
    out_of_scope: str | None = Field(
        default=None,
        max_length=500,
        description="why the case is refused at the door, e.g. 'emergenza: chiamare il 112'",
    )


class OfficeCommand(_Body):
    actor: str = Field(default="office", min_length=1, max_length=200)
    occurred_at: When = None


class TakeInChargeRequest(OfficeCommand):
    operator: str = Field(min_length=1, max_length=200)


class ContactRequest(OfficeCommand):
    means: Literal["phone", "email", "letter", "pec", "in_person", "sms"]
    note: str = Field(default="", max_length=4000)


class WaitForCitizenRequest(OfficeCommand):
    request: str = Field(min_length=1, max_length=4000, description="what the citizen was asked")


class ResumeRequest(OfficeCommand):
    pass


class OutcomeRequest(OfficeCommand):
    outcome: str = Field(min_length=1, max_length=4000, description="what the citizen will read")


class ReasonRequest(OfficeCommand):
    reason: str = Field(min_length=1, max_length=4000)


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
    timeline: list[dict[str, Any]]

    @classmethod
    def of(cls, case: Case) -> CaseView:
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
            timeline=case.timeline,
        )


class Intake:
    """The application and its writer, as the HTTP handlers see them."""

    def __init__(self, request: Request, principal: CurrentPrincipal) -> None:
        runtime = request.app.state.runtime
        self.app: IntakeApplication = runtime.app
        self.writer: Writer = runtime.writer
        self.principal = principal
        self.traceparent = child_traceparent(request.headers.get("traceparent"))
        self.registrations = runtime.batcher("registrations", self.app.register_cases)

    def actor_for(self, claimed: str) -> str:
        """Who did it: the token's subject when there is one (audit), else what the form said."""
        return claimed if self.principal is ANONYMOUS_DEVELOPER else self.principal.subject

    async def case(self, case_id: UUID) -> Case:
        case = await self.writer.call(self.app.get_case, case_id)
        require_read(self.principal, case.tenant, case.organization)
        return case

    async def run(self, command: Callable[..., Case], case_id: UUID, *args: Any) -> CaseView:
        """Run an office command on the writer thread; answer with the case as it now stands."""
        case = await self.case(case_id)
        require_act(self.principal, case.tenant, case.organization)
        return CaseView.of(await self.writer.call(command, case_id, *args))


IntakeDep = Annotated[Intake, Depends(Intake)]
router = APIRouter(tags=["cases"])


@router.post("/cases", status_code=201)
async def register_case(
    body: RegisterCaseRequest,
    intake: IntakeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CaseView:
    require_act(intake.principal, body.tenant, None)
    command = RegisterCase(
        **body.model_dump(
            mode="python", exclude={"citizen", "location", "external_ref", "attachments"}
        ),
        attachments=[a.model_dump() for a in body.attachments],
        citizen=body.citizen.model_dump(mode="json", exclude_none=True),
        location=body.location.model_dump(mode="json", exclude_none=True)
        if body.location
        else None,
        external_ref=body.external_ref.model_dump() if body.external_ref else None,
        actor=intake.actor_for("operator"),
        idempotency_key=idempotency_key,
        traceparent=intake.traceparent,
    )
    registration: Registration = await intake.registrations.submit(command)
    if not registration.created:
        response.status_code = 200
    response.headers["Location"] = f"/cases/{registration.case.id}"
    return CaseView.of(registration.case)


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


@router.get("/cases")
async def search_cases(
    intake: IntakeDep,
    tenant: Annotated[str | None, Query(max_length=63)] = None,
    status: Status | None = None,
    organization: Annotated[str | None, Query(max_length=63)] = None,
    category: Annotated[str | None, Query(max_length=63)] = None,
    received_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    received_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CasePage:
    """Operators' search, newest first. Follows the event store within milliseconds.

    A token scoped to a tenant (and organization) searches within it, whatever the query says.
    """
    principal = intake.principal
    if not principal.roles & {Role.ADMIN, Role.AUDITOR}:
        tenant = principal.tenant
        if principal.roles.isdisjoint({Role.OPERATOR}):
            organization = principal.organization
    query = CaseQuery(
        tenant=tenant,
        status=status.value if status else None,
        organization=organization,
        category=category,
        received_from=received_from,
        received_to=received_to,
        limit=limit,
        offset=offset,
    )
    rows, total = await asyncio.to_thread(intake.app.search_cases, query)
    return CasePage(
        items=[CaseSummary.of(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/cases/{case_id}")
async def get_case(case_id: UUID, intake: IntakeDep) -> CaseView:
    return CaseView.of(await intake.case(case_id))


@router.post("/cases/{case_id}/take-in-charge")
async def take_in_charge(case_id: UUID, body: TakeInChargeRequest, intake: IntakeDep) -> CaseView:
    return await intake.run(
        intake.app.take_in_charge,
        case_id,
        intake.actor_for(body.operator),
        body.occurred_at,
        intake.traceparent,
    )


@router.post("/cases/{case_id}/contact")
async def contact_citizen(case_id: UUID, body: ContactRequest, intake: IntakeDep) -> CaseView:
    return await intake.run(
        intake.app.contact_citizen,
        case_id,
        body.means,
        body.note,
        intake.actor_for(body.actor),
        body.occurred_at,
        intake.traceparent,
    )


@router.post("/cases/{case_id}/wait-for-citizen")
async def wait_for_citizen(
    case_id: UUID, body: WaitForCitizenRequest, intake: IntakeDep
) -> CaseView:
    return await intake.run(
        intake.app.wait_for_citizen,
        case_id,
        body.request,
        intake.actor_for(body.actor),
        body.occurred_at,
        intake.traceparent,
    )


@router.post("/cases/{case_id}/resume")
async def resume(case_id: UUID, body: ResumeRequest, intake: IntakeDep) -> CaseView:
    return await intake.run(
        intake.app.resume,
        case_id,
        intake.actor_for(body.actor),
        body.occurred_at,
        intake.traceparent,
    )


@router.post("/cases/{case_id}/resolve")
async def resolve(case_id: UUID, body: OutcomeRequest, intake: IntakeDep) -> CaseView:
    return await intake.run(
        intake.app.resolve,
        case_id,
        body.outcome,
        intake.actor_for(body.actor),
        body.occurred_at,
        intake.traceparent,
    )


@router.post("/cases/{case_id}/close")
async def close_case(case_id: UUID, body: OutcomeRequest, intake: IntakeDep) -> CaseView:
    return await intake.run(
        intake.app.close_case,
        case_id,
        body.outcome,
        intake.actor_for(body.actor),
        body.occurred_at,
        intake.traceparent,
    )


@router.post("/cases/{case_id}/reopen")
async def reopen(case_id: UUID, body: ReasonRequest, intake: IntakeDep) -> CaseView:
    return await intake.run(
        intake.app.reopen,
        case_id,
        body.reason,
        intake.actor_for(body.actor),
        body.occurred_at,
        intake.traceparent,
    )


@router.post("/cases/{case_id}/request-reassignment")
async def request_reassignment(case_id: UUID, body: ReasonRequest, intake: IntakeDep) -> CaseView:
    return await intake.run(
        intake.app.request_reassignment,
        case_id,
        body.reason,
        intake.actor_for(body.actor),
        body.occurred_at,
        intake.traceparent,
    )


# --- the right to be forgotten (admin only, as every /admin/ route) -----------------------------


class ErasureBody(_Body):
    """Whose personal data: the citizen of a case, or their e-mail or phone (or several)."""

    case_id: UUID | None = None
    email: Annotated[str | None, Field(max_length=320)] = None
    phone: Annotated[str | None, Field(max_length=40)] = None


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


@router.post("/admin/erasures", tags=["admin"], status_code=201)
async def erase_personal_data(body: ErasureBody, intake: IntakeDep) -> ErasureView:
    """Crypto-shred a citizen's personal data on every case of theirs (all must be closed).

    Their key is deleted: name, contact, description and location become unreadable in the
    whole history and every backup, while the cases' facts (dates, category, office, outcome)
    stay. `case.personal_data_erased` tells the other services to erase their copies.
    """
    if body.case_id is None and not body.email and not body.phone:
        raise HTTPException(422, "name the citizen: case_id, email or phone")
    request = ErasureRequest(body.case_id, body.email, body.phone)
    actor = intake.principal.subject
    report = await intake.writer.call(
        intake.app.erase_personal_data, request, actor, intake.traceparent
    )
    return ErasureView.of(report)
