"""The office's letter tray: messages for citizens reachable only by post."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ..domain import Notification
from .deps import NotifyDep
from .notifications import NotificationView


class LetterView(BaseModel):
    """What the office prints: the postal address is shown here, and only here."""

    notification_id: UUID
    case_id: str
    reference: str
    template: str
    language: str
    address: str
    subject: str
    body: str
    requested_at: datetime


class PostedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    actor: str = Field(min_length=1, max_length=200, description="who posted it")


router = APIRouter(tags=["letters"])


@router.get("/letters")
async def pending_letters(tenant: str, notify: NotifyDep) -> list[LetterView]:
    notify.tenant(tenant)
    letters = await notify.writer.call(notify.app.pending_letters, tenant)
    return [_view(letter, notify) for letter in letters]


@router.post("/notifications/{notification_id}/letter-posted")
async def letter_posted(
    notification_id: UUID, body: PostedRequest, notify: NotifyDep
) -> NotificationView:
    notification = await notify.writer.call(notify.app.post_letter, notification_id, body.actor)
    return NotificationView.of(notification)


def _view(letter: Notification, notify: NotifyDep) -> LetterView:
    text = notify.renderer.render(letter.template, letter.language, letter.context)
    return LetterView(
        notification_id=letter.id,
        case_id=letter.case_id,
        reference=letter.context.get("reference", ""),
        template=letter.template,
        language=letter.language,
        address=letter.recipient,
        subject=text.subject,
        body=text.body,
        requested_at=letter.requested_at,
    )
