"""notify-svc's HTTP API: what was sent to a case's citizen, and how it went."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sportello_shared.application import Writer

from .application import NotifyApplication
from .domain import Notification


class NotificationView(BaseModel):
    """Ops view of one notification. The recipient's address is not shown."""

    notification_id: UUID
    case_id: str
    template: str
    channel: str
    language: str
    status: str
    attempts: int
    requested_at: datetime
    settled_at: datetime | None
    provider_reply: str | None
    last_error: str | None
    failure_reason: str | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationView:
        return cls(
            notification_id=notification.id,
            case_id=notification.case_id,
            template=notification.template,
            channel=notification.channel,
            language=notification.language,
            status=notification.status.value,
            attempts=notification.attempts,
            requested_at=notification.requested_at,
            settled_at=notification.settled_at,
            provider_reply=notification.provider_reply,
            last_error=notification.last_error,
            failure_reason=notification.failure_reason,
        )


class Notify:
    """The application and its writer, as the HTTP handlers see them."""

    def __init__(self, request: Request) -> None:
        runtime = request.app.state.runtime
        self.app: NotifyApplication = runtime.app
        self.writer: Writer = runtime.writer


NotifyDep = Annotated[Notify, Depends(Notify)]
router = APIRouter(tags=["notifications"])


@router.get("/cases/{case_id}/notifications")
async def case_notifications(case_id: UUID, notify: NotifyDep) -> list[NotificationView]:
    notifications = await notify.writer.call(notify.app.notifications_for, case_id)
    return [NotificationView.of(n) for n in notifications]
