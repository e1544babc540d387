"""The on-call alert of an urgent case: who was paged, and the on-call person's acknowledgment."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sportello_shared.auth import Actor, CurrentPrincipal, require_act, require_read

from ..domain import OnCallAlert
from .deps import NotifyDep


class OnCallView(BaseModel):
    """Who of the rota was paged and when (their numbers stay in the notifications)."""

    case_id: str
    tenant: str
    raised_at: datetime
    paged: list[tuple[str, datetime]]
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    exhausted_at: datetime | None

    @classmethod
    def of(cls, alert: OnCallAlert) -> OnCallView:
        return cls(
            case_id=alert.case_id,
            tenant=alert.tenant,
            raised_at=alert.raised_at,
            paged=list(zip(alert.rota, alert.pages, strict=False)),
            acknowledged_by=alert.acknowledged_by,
            acknowledged_at=alert.acknowledged_at,
            exhausted_at=alert.exhausted_at,
        )


router = APIRouter(tags=["on call"])


@router.get("/cases/{case_id}/on-call")
async def on_call_alert(case_id: str, notify: NotifyDep, principal: CurrentPrincipal) -> OnCallView:
    alert = await notify.writer.call(notify.app.on_call_alert, case_id)
    case_file = await notify.writer.call(notify.app.get_case_file, case_id)
    require_read(principal, alert.tenant, case_file.organization)
    return OnCallView.of(alert)


@router.post("/cases/{case_id}/on-call/acknowledge")
async def acknowledge(
    case_id: str, notify: NotifyDep, principal: CurrentPrincipal, actor: Actor
) -> OnCallView:
    """The on-call person has the case in hand: nobody further down the rota is paged. Who
    acknowledged is the token's subject; the same person twice is one acknowledgment."""
    alert = await notify.writer.call(notify.app.on_call_alert, case_id)
    case_file = await notify.writer.call(notify.app.get_case_file, case_id)
    require_act(principal, alert.tenant, case_file.organization)
    acknowledged = await notify.writer.call(notify.app.acknowledge_on_call, case_id, actor)
    return OnCallView.of(acknowledged)
