"""routing-svc's HTTP API: the decisions taken on a case, with their reasons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sportello_shared.application import Writer

from .application import RoutingApplication


class AssignmentView(BaseModel):
    case_id: str
    tenant: str
    reference: str
    organization: str | None
    history: list[dict[str, Any]]


class Routing:
    def __init__(self, request: Request) -> None:
        runtime = request.app.state.runtime
        self.app: RoutingApplication = runtime.app
        self.writer: Writer = runtime.writer


RoutingDep = Annotated[Routing, Depends(Routing)]
router = APIRouter(tags=["assignments"])


@router.get("/assignments/{case_id}")
async def get_assignment(case_id: str, routing: RoutingDep) -> AssignmentView:
    assignment = await routing.writer.call(routing.app.assignment_for, case_id)
    return AssignmentView(
        case_id=assignment.case_id,
        tenant=assignment.tenant,
        reference=assignment.reference,
        organization=assignment.organization,
        history=assignment.history,
    )
