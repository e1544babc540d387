"""Public payloads of notify-svc. They never carry the recipient's address."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime

from .envelope import EventPayload


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
