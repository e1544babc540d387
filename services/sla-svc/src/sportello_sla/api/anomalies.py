"""The anomaly register: list it, record anomalies, causes and corrective actions.

Who may write: the tenant's URP or contact centre (operator) for any office, an office for its
own anomalies, admins. Who recorded what is the token's subject, never a field of the request.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sportello_shared.auth import (
    Actor,
    CurrentPrincipal,
    Principal,
    require_act,
    require_read,
    visible_scope,
)

from ..anomalies import MAX_TEXT, ActionStatus, AnomalyKind
from ..calendars import ROME
from ..readmodels import ActionRow
from ..register import AnomalyCommands, RegisterEntry, find_entry, register_entries
from .deps import Sla, SlaDep

router = APIRouter(tags=["anomalies"])
Text = Annotated[str, Field(min_length=3, max_length=MAX_TEXT)]


class ActionView(BaseModel):
    number: int
    description: str
    status: ActionStatus
    due: date | None
    recorded_by: str
    recorded_at: datetime
    changed_by: str
    changed_at: datetime


class AnomalyView(BaseModel):
    anomaly_id: UUID
    tenant: str
    organization: str | None
    kind: AnomalyKind
    title: str
    standard: str | None
    case_id: UUID | None
    started_at: datetime
    ended_at: datetime | None
    recorded: bool
    recorded_by: str | None
    recorded_at: datetime | None
    cause: str | None
    cause_by: str | None
    cause_at: datetime | None
    actions: list[ActionView]

    @classmethod
    def of(cls, e: RegisterEntry) -> AnomalyView:
        def rome(instant: datetime | None) -> datetime | None:
            return instant.astimezone(ROME) if instant else None

        return cls(
            anomaly_id=e.anomaly_id,
            tenant=e.tenant,
            organization=e.organization,
            kind=AnomalyKind(e.kind),
            title=e.title,
            standard=e.standard,
            case_id=e.case_id,
            started_at=e.started_at.astimezone(ROME),
            ended_at=rome(e.ended_at),
            recorded=e.recorded,
            recorded_by=e.recorded_by,
            recorded_at=rome(e.recorded_at),
            cause=e.cause,
            cause_by=e.cause_by,
            cause_at=rome(e.cause_at),
            actions=[_action(n, a) for n, a in enumerate(e.actions, start=1)],
        )


def _action(number: int, a: ActionRow) -> ActionView:
    return ActionView(
        number=number,
        description=a.description,
        status=ActionStatus(a.status),
        due=a.due,
        recorded_by=a.recorded_by,
        recorded_at=a.recorded_at.astimezone(ROME),
        changed_by=a.changed_by,
        changed_at=a.changed_at.astimezone(ROME),
    )


@router.get("/anomalies")
async def anomalies(
    sla: SlaDep,
    principal: CurrentPrincipal,
    tenant: str,
    year: Annotated[int, Query(ge=2000, le=2100)],
    organization: str | None = None,
) -> list[AnomalyView]:
    """The year's anomalies: every breached clock run and every anomaly recorded on its own."""
    sla.tenant(tenant)
    _, organization = visible_scope(principal, tenant, organization)
    board = await sla.board()
    entries = register_entries(
        board.rows(), board.anomalies(), tenant, (date(year, 1, 1), date(year, 12, 31)), _now()
    )
    return [
        AnomalyView.of(e) for e in entries if not organization or e.organization == organization
    ]


class RecordAnomaly(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=63)
    organization: str | None = Field(default=None, max_length=63)
    kind: AnomalyKind = AnomalyKind.INTERRUPTION
    title: Text = Field(description="what happened, e.g. «numero verde non raggiungibile»")
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None


class Recorded(BaseModel):
    anomaly_id: UUID


@router.post("/anomalies", status_code=201)
async def record(
    body: RecordAnomaly, sla: SlaDep, principal: CurrentPrincipal, actor: Actor
) -> Recorded:
    """An anomaly that is not a breach: a service interruption, a phone line down for a day."""
    sla.tenant(body.tenant, "body")
    require_act(principal, body.tenant, body.organization)
    commands = AnomalyCommands(sla.app)
    anomaly_id = await sla.writer.call(
        lambda: commands.record(
            tenant=body.tenant,
            organization=body.organization,
            kind=body.kind,
            title=body.title,
            started_at=body.started_at,
            ended_at=body.ended_at,
            by=actor,
            at=_now(),
        )
    )
    return Recorded(anomaly_id=anomaly_id)


async def _entry(sla: Sla, principal: Principal, anomaly_id: UUID, acting: bool) -> RegisterEntry:
    board = await sla.board()
    entry = find_entry(anomaly_id, board.rows(), board.anomalies(), _now())
    check = require_act if acting else require_read
    check(principal, entry.tenant, entry.organization)
    return entry


@router.get("/anomalies/{anomaly_id}")
async def anomaly(anomaly_id: UUID, sla: SlaDep, principal: CurrentPrincipal) -> AnomalyView:
    return AnomalyView.of(await _entry(sla, principal, anomaly_id, acting=False))


async def _reread(sla: Sla, principal: Principal, anomaly_id: UUID) -> AnomalyView:
    return AnomalyView.of(await _entry(sla, principal, anomaly_id, acting=False))


class Cause(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cause: Text


@router.put("/anomalies/{anomaly_id}/cause")
async def record_cause(
    anomaly_id: UUID, body: Cause, sla: SlaDep, principal: CurrentPrincipal, actor: Actor
) -> AnomalyView:
    entry = await _entry(sla, principal, anomaly_id, acting=True)
    commands = AnomalyCommands(sla.app)
    await sla.writer.call(commands.record_cause, entry, body.cause, actor, _now())
    return await _reread(sla, principal, anomaly_id)


class NewAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text
    status: ActionStatus = ActionStatus.PLANNED
    due: date | None = None


@router.post("/anomalies/{anomaly_id}/actions", status_code=201)
async def add_action(
    anomaly_id: UUID, body: NewAction, sla: SlaDep, principal: CurrentPrincipal, actor: Actor
) -> AnomalyView:
    """A corrective action taken or planned (who and when: the token's subject, now)."""
    entry = await _entry(sla, principal, anomaly_id, acting=True)
    commands = AnomalyCommands(sla.app)
    await sla.writer.call(
        commands.add_action, entry, body.description, body.status, body.due, actor, _now()
    )
    return await _reread(sla, principal, anomaly_id)


class ActionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ActionStatus


@router.patch("/anomalies/{anomaly_id}/actions/{number}")
async def update_action(
    anomaly_id: UUID,
    number: int,
    body: ActionUpdate,
    sla: SlaDep,
    principal: CurrentPrincipal,
    actor: Actor,
) -> AnomalyView:
    entry = await _entry(sla, principal, anomaly_id, acting=True)
    commands = AnomalyCommands(sla.app)
    await sla.writer.call(commands.set_action_status, entry, number, body.status, actor, _now())
    return await _reread(sla, principal, anomaly_id)


class End(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_at: AwareDatetime


@router.post("/anomalies/{anomaly_id}/end")
async def end(
    anomaly_id: UUID, body: End, sla: SlaDep, principal: CurrentPrincipal, actor: Actor
) -> AnomalyView:
    """An interruption is over."""
    entry = await _entry(sla, principal, anomaly_id, acting=True)
    commands = AnomalyCommands(sla.app)
    await sla.writer.call(commands.end, entry, body.ended_at, actor, _now())
    return await _reread(sla, principal, anomaly_id)


def _now() -> datetime:
    return datetime.now(UTC)
