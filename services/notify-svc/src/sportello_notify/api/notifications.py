"""A case's notifications with every attempt, and the explicit, audited resend."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sportello_shared.auth import (
    ACTOR_NOTE,
    Actor,
    CurrentPrincipal,
    Principal,
    require_act,
    require_read,
)

from ..domain import Attempt, CaseFile, Notification, Resend, Skipped
from .deps import NotifyDep


class AttemptView(BaseModel):
    delivery: int
    at: datetime
    outcome: str
    reply: str

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptView:
        return cls(
            delivery=attempt.delivery, at=attempt.at, outcome=attempt.outcome, reply=attempt.reply
        )


class ResendView(BaseModel):
    actor: str
    reason: str
    at: datetime

    @classmethod
    def of(cls, resend: Resend) -> ResendView:
        return cls(actor=resend.actor, reason=resend.reason, at=resend.at)


class NotificationView(BaseModel):
    """Ops view of one notification. The recipient's address is not shown."""

    notification_id: UUID
    case_id: str
    template: str
    audience: str
    organization: str | None
    channel: str
    language: str
    status: str
    delivery: int
    attempts: int
    attempt_log: list[AttemptView]
    resends: list[ResendView]
    requested_at: datetime
    postponed_until: datetime | None
    settled_at: datetime | None
    provider_reply: str | None
    last_error: str | None
    failure_reason: str | None

    @classmethod
    def of(cls, n: Notification) -> NotificationView:
        return cls(
            notification_id=n.id,
            case_id=n.case_id,
            template=n.template,
            audience=n.audience.value,
            organization=n.organization,
            channel=n.channel.value,
            language=n.language,
            status=n.status.value,
            delivery=n.delivery,
            attempts=len(n.attempts),
            attempt_log=[AttemptView.of(a) for a in n.attempts],
            resends=[ResendView.of(r) for r in n.resends],
            requested_at=n.requested_at,
            postponed_until=n.postponed_until,
            settled_at=n.settled_at,
            provider_reply=n.provider_reply,
            last_error=n.last_error,
            failure_reason=n.failure_reason,
        )


class SkippedView(BaseModel):
    template: str
    trigger_event_id: str
    reason: str
    at: datetime

    @classmethod
    def of(cls, skipped: Skipped) -> SkippedView:
        return cls(
            template=skipped.template,
            trigger_event_id=skipped.trigger_event_id,
            reason=skipped.reason,
            at=skipped.at,
        )


class ResendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    actor: str | None = Field(default=None, min_length=1, max_length=200, description=ACTOR_NOTE)
    reason: str = Field(min_length=1, max_length=1000)


router = APIRouter(tags=["notifications"])


@router.get("/cases/{case_id}/notifications")
async def case_notifications(
    case_id: UUID, notify: NotifyDep, principal: CurrentPrincipal
) -> list[NotificationView]:
    await _case_visible(notify, principal, case_id)
    notifications = await notify.writer.call(notify.app.notifications_for, case_id)
    return [NotificationView.of(n) for n in notifications]


@router.get("/cases/{case_id}/skipped-messages")
async def skipped_messages(
    case_id: UUID, notify: NotifyDep, principal: CurrentPrincipal
) -> list[SkippedView]:
    """Messages deliberately not sent (events over NOTIFY_MAX_EVENT_AGE), and why."""
    case_file = await _case_visible(notify, principal, case_id)
    return [SkippedView.of(s) for s in case_file.skipped]


@router.get("/notifications/{notification_id}")
async def get_notification(
    notification_id: UUID, notify: NotifyDep, principal: CurrentPrincipal
) -> NotificationView:
    notification = await notify.writer.call(notify.app.get_notification, notification_id)
    await _case_visible(notify, principal, notification.case_id)
    return NotificationView.of(notification)


@router.post("/notifications/{notification_id}/resend", status_code=202)
async def resend(
    notification_id: UUID,
    body: ResendRequest,
    notify: NotifyDep,
    principal: CurrentPrincipal,
    actor: Actor,
) -> NotificationView:
    """Deliver a settled notification once more; the dispatcher picks it up from the log."""
    settled = await notify.writer.call(notify.app.get_notification, notification_id)
    case_file = await _case_visible(notify, principal, settled.case_id)
    require_act(principal, case_file.tenant, case_file.organization)
    notification = await notify.writer.call(notify.app.resend, notification_id, actor, body.reason)
    return NotificationView.of(notification)


async def _case_visible(notify: NotifyDep, principal: Principal, case_id: UUID | str) -> CaseFile:
    """The case's file, if the principal may see the case (its tenant, its organization)."""
    case_file: CaseFile = await notify.writer.call(notify.app.get_case_file, case_id)
    require_read(principal, case_file.tenant, case_file.organization)
    return case_file
