"""What a citizen-facing platform (the public site) asks of intake, with its platform key.

`/citizen/v1/<tenant>/…`: register a report (channel `web`, idempotent on the platform's
submission id), read a case as its citizen sees it by its follow token, and find that token from
a reference *and* the e-mail given with it. The key is a platform's Open311 key for the tenant
(`X-Api-Key`); the follow token is the citizen's own credential. Unknown tokens, references and
e-mails that do not match all answer the same 404, so nothing can be enumerated.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Request
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sportello_shared.edge import ServiceEdge, built_on_the_loop
from sportello_shared.problems import Refusal
from sportello_shared.tenants import Tenant
from sportello_shared.tracing import child_traceparent

from .application import IntakeApplication, RegisterCase, Registration
from .follow import TOKEN_PATTERN, CitizenView, FollowLink, citizen_view, follow_link_id, same_email
from .open311.keys import api_keys

NOT_FOUND = "no case matches"
NOT_FOUND_IT = "nessuna pratica corrisponde"


class Platform(ServiceEdge[IntakeApplication]):
    """The calling platform, from its key, and the tenant it may act in."""

    def __init__(
        self,
        request: Request,
        tenant: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")],
        x_api_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> None:
        super().__init__(request)
        self.registrations = self.runtime.batcher("registrations", self.app.register_cases)
        self.traceparent = child_traceparent(request.headers.get("traceparent"))
        client = api_keys().client_for(x_api_key) if x_api_key else None
        if client is None:
            raise Refusal(
                401,
                it="serve la chiave della piattaforma (X-Api-Key)",
                en="a platform key (X-Api-Key) is required",
            )
        known = self.app.tenants.get(tenant)
        if known is None or client.tenant != known.id:
            raise Refusal(
                403,
                it=f"questa chiave non può operare per {tenant}",
                en=f"this key may not act in {tenant}",
            )
        self.client = client.client
        self.tenant: Tenant = known


PlatformDep = Annotated[Platform, Depends(built_on_the_loop(Platform))]
Token = Annotated[str, Path(pattern=TOKEN_PATTERN)]
router = APIRouter(prefix="/citizen/v1/{tenant}", tags=["citizen"])


class ReportCitizen(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    language: str = Field(default="it", pattern=r"^(it|en)$")


class Report(BaseModel):
    """Designers Italia's "segnala disservizio": place, category, title, details, author."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    submission_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    category: str = Field(min_length=1, max_length=63)
    title: str = Field(min_length=3, max_length=120)
    details: str = Field(min_length=10, max_length=4000)
    place: str | None = Field(default=None, max_length=300)
    citizen: ReportCitizen


class Acknowledgment(BaseModel):
    case_id: str
    reference: str
    follow_token: str
    created: bool


class Lookup(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reference: str = Field(min_length=3, max_length=40)
    email: str = Field(min_length=3, max_length=320)


class FollowToken(BaseModel):
    follow_token: str


class StepView(BaseModel):
    step: str
    at: datetime
    detail: str | None


class CaseForCitizen(BaseModel):
    reference: str
    tenant: str
    category: str
    category_name: str
    status: str
    office: str | None
    expected_at: datetime | None
    received_at: datetime
    closed_at: datetime | None
    reopen_until: datetime | None
    reopen_requested: bool
    history: list[StepView]

    @classmethod
    def of(cls, view: CitizenView) -> CaseForCitizen:
        steps = [StepView(step=s.step, at=s.at, detail=s.detail) for s in view.history]
        return cls(**{**view.__dict__, "history": steps})


@router.post("/reports", status_code=201)
async def report(body: Report, platform: PlatformDep) -> Acknowledgment:
    if platform.tenant.category(body.category) is None:
        codes = ", ".join(c.service_code for c in platform.tenant.categories)
        raise Refusal(
            422,
            it=f"categoria sconosciuta {body.category!r}: una tra {codes}",
            en=f"unknown category {body.category!r}: one of {codes}",
        )
    command = RegisterCase(
        tenant=platform.tenant.id,
        kind="segnalazione",
        channel="web",
        category=body.category,
        description=f"{body.title}\n\n{body.details}",
        citizen=body.citizen.model_dump(mode="json"),
        location={"address": body.place} if body.place else None,
        external_ref={"source": platform.client, "id": body.submission_id},
        actor=f"platform:{platform.client}",
        traceparent=platform.traceparent,
    )
    registration: Registration = await platform.registrations.submit(command)
    case = registration.case
    return Acknowledgment(
        case_id=str(case.id),
        reference=case.reference,
        follow_token=case.follow_token,
        created=registration.created,
    )


@router.get("/cases/{token}")
async def follow(token: Token, platform: PlatformDep) -> CaseForCitizen:
    view = await asyncio.to_thread(_view_of_token, platform, token)
    if view is None:
        raise Refusal(404, it=NOT_FOUND_IT, en=NOT_FOUND)
    return CaseForCitizen.of(view)


@router.post("/lookup")
async def lookup(body: Lookup, platform: PlatformDep) -> FollowToken:
    token = await asyncio.to_thread(_token_of_reference, platform, body.reference, body.email)
    if token is None:
        raise Refusal(404, it=NOT_FOUND_IT, en=NOT_FOUND)
    return FollowToken(follow_token=token)


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=10, max_length=2000, description="why it is not solved")


@router.post("/cases/{token}/reopen-request", status_code=202)
async def request_reopening(
    token: Token, body: ReopenRequest, platform: PlatformDep
) -> CaseForCitizen:
    """The case stays closed; the URP sees case.reopen_requested and decides."""
    case_id = await asyncio.to_thread(_case_of_token, platform, token)
    if case_id is None:
        raise Refusal(404, it=NOT_FOUND_IT, en=NOT_FOUND)
    actor = f"citizen:{platform.client}"
    await platform.writer.call(
        platform.app.request_reopening, case_id, body.reason, actor, platform.traceparent
    )
    view = await asyncio.to_thread(_view_of_token, platform, token)
    assert view is not None
    return CaseForCitizen.of(view)


def _case_of_token(platform: Platform, token: str) -> UUID | None:
    link = platform.app.find(follow_link_id(token))
    if not isinstance(link, FollowLink) or link.tenant != platform.tenant.id:
        return None
    return UUID(link.case_id)


def _view_of_token(platform: Platform, token: str) -> CitizenView | None:
    case_id = _case_of_token(platform, token)
    case = platform.app.find_case(case_id) if case_id else None
    return citizen_view(case, platform.tenant) if case is not None else None


def _token_of_reference(platform: Platform, reference: str, email: str) -> str | None:
    found = platform.app.case_by_reference(platform.tenant.id, reference.strip().upper())
    if found is None or not found.follow_token or not same_email(found, email):
        return None
    return found.follow_token
