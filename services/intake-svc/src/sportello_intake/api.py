"""intake-svc's HTTP API: thin translation between requests and the application's use cases.

Registration, search and the file of record here; each office command's route is made from
the transition table (`command_routes.py`); bodies in `bodies.py`, answers in `views.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import AwareDatetime
from sportello_shared import outages
from sportello_shared.auth import (
    CurrentPrincipal,
    Role,
    require_act,
    require_read,
    visible_scope,
)
from sportello_shared.edge import ServiceEdge, built_on_the_loop
from sportello_shared.problems import Refusal
from sportello_shared.tracing import child_traceparent

from .application import IntakeApplication, RegisterCase, Registration
from .bodies import ReasonRequest as ReasonRequest
from .bodies import RegisterCaseRequest, _Body
from .commands import CaseCommand, current_traceparent
from .domain import Case, Status, Transition
from .recent import search_reading_back
from .search import CaseQuery
from .views import CasePage, CaseSummary, CaseView

__all__ = ["CaseSummary", "CaseView", "IntakeDep", "ReasonRequest", "_Body", "router"]


class Intake(ServiceEdge[IntakeApplication]):
    """The application and its writer, as the HTTP handlers see them, with who is asking."""

    def __init__(self, request: Request, principal: CurrentPrincipal) -> None:
        super().__init__(request)
        self.principal = principal
        # who acts is the principal's subject (auth.acting_subject), read here rather than as a
        # second dependency: FastAPI solves a dependency's whole tree again at every mention
        self.actor = principal.actor
        self.traceparent = child_traceparent(request.headers.get("traceparent"))
        self.registrations = self.runtime.batcher("registrations", self.app.register_cases)

    async def case(self, case_id: UUID) -> Case:
        case = await self.writer.call(self.app.get_case, case_id)
        require_read(self.principal, case.tenant, case.organization)
        return case

    async def run(self, command: Callable[..., Case], case_id: UUID, *args: Any) -> CaseView:
        """Run a command on the writer thread, in the request's trace context; answer with the
        case as it now stands."""
        case = await self.case(case_id)
        require_act(self.principal, case.tenant, case.organization)
        current_traceparent.set(self.traceparent)
        return CaseView.of(await self.writer.call(command, case_id, *args))

    async def execute(
        self,
        transition: Transition,
        case_id: UUID,
        details: dict[str, Any],
        occurred_at: Any = None,
    ) -> CaseView:
        """A row of the transition table, by a role it names, on a case the token reaches."""
        if not transition.may(self.principal.roles):
            roles = ", ".join(sorted(transition.roles))
            raise Refusal(
                403,
                it=f"questo passo ({transition.step}) spetta ai ruoli: {roles}",
                en=f"this step ({transition.step}) is for the roles: {roles}",
            )
        command = CaseCommand(case_id, transition.command, self.actor, details, occurred_at)
        return await self.run(lambda _: self.app.execute(command), case_id)


IntakeDep = Annotated[Intake, Depends(built_on_the_loop(Intake))]
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
        actor=intake.actor,
        idempotency_key=idempotency_key,
        traceparent=intake.traceparent,
    )
    registration: Registration = await intake.registrations.submit(command)
    if not registration.created:
        response.status_code = 200
    response.headers["Location"] = f"/cases/{registration.case.id}"
    return CaseView.of(registration.case)


@router.get("/cases")
async def search_cases(
    intake: IntakeDep,
    tenant: Annotated[str | None, Query(max_length=63)] = None,
    reference: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2,4}-[0-9]{4}-[0-9]{6}$", examples=["TO-2026-000123"])
    ] = None,
    status: Status | None = None,
    organization: Annotated[str | None, Query(max_length=63)] = None,
    category: Annotated[str | None, Query(max_length=63)] = None,
    received_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    received_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CasePage:
    """Operators' search, newest first. Follows the event store within milliseconds.
    `reference` finds one case by the number the citizen quotes; unknown parameters get 422.

    A token scoped to a tenant searches within it; an office's token within its organization
    (asking for another's is refused with 403), as every service's listings (`visible_scope`).
    """
    tenant, organization = visible_scope(intake.principal, tenant, organization)
    query = CaseQuery(
        tenant=tenant,
        status=status.value if status else None,
        organization=organization,
        category=category,
        received_from=received_from,
        received_to=received_to,
        references=(reference,) if reference else (),
        limit=limit,
        offset=offset,
    )
    rows, total = await outages.read(search_reading_back, intake.app, query)
    return CasePage(
        items=[CaseSummary.of(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/cases/{case_id}")
async def get_case(case_id: UUID, intake: IntakeDep) -> CaseView:
    """The file of record; with its dossier (description, place, citizen's contact) for everyone
    who may handle it, i.e. not for auditors."""
    dossier = intake.principal.roles != {Role.AUDITOR}
    return CaseView.of(await intake.case(case_id), dossier=dossier)
