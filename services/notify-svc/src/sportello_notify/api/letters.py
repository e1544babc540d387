"""The office's letter tray: messages for citizens reachable only by post."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sportello_shared.auth import ACTOR_NOTE, Actor, CurrentPrincipal, require_act

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

    actor: str | None = Field(default=None, min_length=1, max_length=200, description=ACTOR_NOTE)


router = APIRouter(tags=["letters"])


@router.get("/letters")
async def pending_letters(tenant: str, notify: NotifyDep) -> list[LetterView]:
    notify.tenant(tenant)
    letters = await notify.writer.call(notify.app.pending_letters, tenant)
    return [_view(letter, notify) for letter in letters]


@router.post("/notifications/{notification_id}/letter-posted")
async def letter_posted(
    notification_id: UUID,
    body: PostedRequest,
    notify: NotifyDep,
    principal: CurrentPrincipal,
    actor: Actor,
) -> NotificationView:
    letter = await notify.writer.call(notify.app.get_notification, notification_id)
    case_file = await notify.writer.call(notify.app.get_case_file, letter.case_id)
    require_act(principal, case_file.tenant, case_file.organization)
    notification = await notify.writer.call(
        notify.app.post_letter, notification_id, actor, body.actor
    )
    return NotificationView.of(notification)


def _view(letter: Notification, notify: NotifyDep) -> LetterView:
    context = notify.app.message_context(letter)
    text = notify.renderer.render(letter.template, letter.language, context, tenant=letter.tenant)
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
