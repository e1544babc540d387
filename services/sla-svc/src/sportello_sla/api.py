"""sla-svc's HTTP API: thin translation between requests and the application's queries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sportello_shared.application import Writer

from .application import SlaApplication
from .domain import Clock


class ClockView(BaseModel):
    standard: str
    status: str
    started_at: datetime
    deadline: datetime
    stopped_at: datetime | None
    policy_version: int

    @classmethod
    def of(cls, clock: Clock) -> ClockView:
        return cls(
            standard=clock.standard,
            status=clock.status.value,
            started_at=clock.started_at,
            deadline=clock.deadline,
            stopped_at=clock.stopped_at,
            policy_version=clock.policy_version,
        )


class Sla:
    """The application and its writer, as the HTTP handlers see them."""

    def __init__(self, request: Request) -> None:
        runtime = request.app.state.runtime
        self.app: SlaApplication = runtime.app
        self.writer: Writer = runtime.writer


SlaDep = Annotated[Sla, Depends(Sla)]
router = APIRouter(tags=["clocks"])


@router.get("/cases/{case_id}/clocks")
async def case_clocks(case_id: UUID, sla: SlaDep) -> list[ClockView]:
    """The case's clocks; empty while sla-svc has not seen the case."""
    return [ClockView.of(clock) for clock in await sla.writer.call(sla.app.clocks_for, case_id)]
