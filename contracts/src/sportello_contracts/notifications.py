"""Public payloads of notify-svc. They never carry the recipient's address."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from .envelope import SLUG, EventPayload


class _NotificationEvent(EventPayload):
    aggregate: ClassVar[str] = "notification"

    notification_id: str
    case_id: str
    template: str
    channel: str
    at: AwareDatetime


class NotificationSent(_NotificationEvent):
    event: ClassVar[str] = "sent"


class NotificationFailed(_NotificationEvent):
    event: ClassVar[str] = "failed"

    reason: str


class SurveyAnswered(EventPayload):
    """A citizen's 1-5 rating of how the case was handled (Designers Italia's scale).

    The free-text comment stays in notify-svc: it may hold personal data.
    """

    aggregate: ClassVar[str] = "survey"
    event: ClassVar[str] = "answered"

    case_id: str
    organization: str | None = Field(default=None, pattern=SLUG)
    rating: int = Field(ge=1, le=5)
    at: AwareDatetime
