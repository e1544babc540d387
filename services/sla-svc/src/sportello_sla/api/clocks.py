"""A case's clocks, the open breaches, and the deadline arithmetic itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sportello_shared.auth import CurrentPrincipal, require_read, visible_scope
from sportello_shared.edge import invalid

from ..breaches import Breach, Which
from ..breaches import breaches as open_breaches
from ..calendars import ROME
from ..catalogue import UnknownStandard
from ..domain import Clock
from .deps import SlaDep

router = APIRouter(tags=["clocks"])


def rome(instant: datetime) -> datetime:
    """Every instant leaves this API on the city's wall clock, with its offset (+01:00/+02:00)."""
    return instant.astimezone(ROME)


class ClockView(BaseModel):
    standard: str
    name: str
    status: Literal["running", "paused", "met", "breached"]
    started_at: datetime
    deadline: datetime
    stopped_at: datetime | None
    policy_version: int
    organization: str | None
    limit: str

    @classmethod
    def of(cls, clock: Clock, name: str, limit: str, now: datetime) -> ClockView:
        return cls(
            standard=clock.standard,
            name=name,
            status=clock.status_at(now).value,
            started_at=rome(clock.started_at),
            deadline=rome(clock.deadline),
            stopped_at=rome(clock.stopped_at) if clock.stopped_at else None,
            policy_version=clock.policy_version,
            organization=clock.organization,
            limit=limit,
        )


@router.get("/cases/{case_id}/clocks")
async def case_clocks(case_id: UUID, sla: SlaDep, principal: CurrentPrincipal) -> list[ClockView]:
    """One clock per standard that applies to the case; empty while sla-svc has not seen it."""
    clocks = await sla.writer.call(sla.app.clocks_for, case_id)
    now = datetime.now(UTC)
    views = []
    for clock in clocks:
        require_read(principal, clock.tenant, clock.organization)
        standard = sla.app.rule_of(clock).standard
        views.append(ClockView.of(clock, standard.name, standard.limit.describe(), now))
    return views


class BreachView(BaseModel):
    case_id: UUID
    tenant: str
    organization: str | None
    standard: str
    started_at: datetime
    deadline: datetime
    stopped_at: datetime | None
    overdue_hours: float

    @classmethod
    def of(cls, breach: Breach) -> BreachView:
        return cls(
            case_id=breach.case_id,
            tenant=breach.tenant,
            organization=breach.organization,
            standard=breach.standard,
            started_at=rome(breach.started_at),
            deadline=rome(breach.deadline),
            stopped_at=rome(breach.stopped_at) if breach.stopped_at else None,
            overdue_hours=breach.overdue_hours,
        )


@router.get("/breaches")
async def breaches(
    sla: SlaDep,
    principal: CurrentPrincipal,
    tenant: str | None = None,
    organization: str | None = None,
    status: Which = "open",
) -> list[BreachView]:
    """Breached clocks, the most overdue first; `open` = the case has not been answered yet."""
    tenant, organization = visible_scope(principal, tenant, organization)
    if tenant is not None:
        sla.tenant(tenant)
    board = await sla.board()
    found = open_breaches(
        board.rows(), datetime.now(UTC), tenant=tenant, organization=organization, which=status
    )
    return [BreachView.of(breach) for breach in found]


class ComputeDeadline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=63)
    standard: str = Field(min_length=1, max_length=63)
    start: AwareDatetime
    policy_version: int | None = Field(default=None, ge=1)


class ComputedDeadline(BaseModel):
    tenant: str
    standard: str
    policy_version: int
    limit: str
    start: datetime
    deadline: datetime
    warning_at: datetime


@router.post("/deadlines/compute")
async def compute_deadline(body: ComputeDeadline, sla: SlaDep) -> ComputedDeadline:
    """The arithmetic on its own: when a clock of `standard` started at `start` is due."""
    tenant = sla.tenant(body.tenant, "body")
    try:
        rule = tenant.rule_for(body.standard, body.start, body.policy_version)
    except UnknownStandard as exc:
        invalid("standard", str(exc), "body", it=exc.localized("it"))
    deadline = rule.deadline(body.start)
    return ComputedDeadline(
        tenant=body.tenant,
        standard=rule.id,
        policy_version=rule.policy_version,
        limit=rule.standard.limit.describe(),
        start=rome(body.start),
        deadline=rome(deadline),
        warning_at=rome(rule.warning(body.start, deadline)),
    )
