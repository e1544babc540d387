"""Decisions on a case: their history, and an operator's manual reassignment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sportello_shared.auth import ACTOR_NOTE, Actor, CurrentPrincipal, require_act, require_read

from ..domain import Assignment
from ..domain.rules import SLUG
from .deps import Body, RoutingDep

router = APIRouter(tags=["assignments"])


class AssignmentView(BaseModel):
    case_id: str
    tenant: str
    reference: str
    organization: str | None
    declined: list[str]
    history: list[dict[str, Any]]

    @classmethod
    def of(cls, assignment: Assignment) -> AssignmentView:
        return cls(
            case_id=assignment.case_id,
            tenant=assignment.tenant,
            reference=assignment.reference,
            organization=assignment.organization,
            declined=list(assignment.declined),
            history=list(assignment.history),
        )


class ReassignRequest(Body):
    organization: str = Field(pattern=SLUG)
    actor: str | None = Field(default=None, min_length=1, max_length=200, description=ACTOR_NOTE)
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/assignments/{case_id}")
async def get_assignment(
    case_id: str, routing: RoutingDep, principal: CurrentPrincipal
) -> AssignmentView:
    assignment = await routing.call(routing.app.assignment_for, case_id)
    require_read(principal, assignment.tenant, assignment.organization)
    return AssignmentView.of(assignment)


@router.post("/assignments/{case_id}/reassign")
async def reassign(
    case_id: str,
    body: ReassignRequest,
    routing: RoutingDep,
    principal: CurrentPrincipal,
    actor: Actor,
) -> AssignmentView:
    current = await routing.call(routing.app.assignment_for, case_id)
    require_act(principal, current.tenant, current.organization)
    assignment = await routing.call(
        routing.app.reassign, case_id, body.organization, actor, body.reason
    )
    return AssignmentView.of(assignment)
