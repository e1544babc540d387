"""The words of a notification's delivery: channels, audiences, statuses, attempts, what a
notification refuses, and its deterministic id. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

NOTIFICATION_NAMESPACE = UUID("2c394dd6-f044-4a23-bb27-4a6f5f5ceac6")


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    LETTER = "letter"  # a task for the office: print and post it


class Audience(StrEnum):
    CITIZEN = "citizen"
    ORGANIZATION = "organization"  # the office or partner handling the case
    URP = "urp"  # the tenant's URP / triage office
    ON_CALL = "on_call"  # who is on call tonight (notify.yaml's rota)


class Status(StrEnum):
    REQUESTED = "requested"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"  # no longer wanted when due (a reminder after the citizen answered)


class NotificationError(Exception):
    """Base of what a Notification refuses."""


class AlreadySettled(NotificationError):
    def __init__(self, notification_id: UUID, status: Status) -> None:
        super().__init__(f"notification {notification_id} is already {status.value}")


class NotSettled(NotificationError):
    def __init__(self, notification_id: UUID) -> None:
        super().__init__(f"notification {notification_id} is still being delivered")


def notification_id_for(
    case_id: str,
    template: str,
    trigger_event_id: str,
    audience: Audience = Audience.CITIZEN,
    channel: Channel | None = None,
) -> UUID:
    """One notification per (case, template, triggering event) and recipient: the same event
    never mails twice, while a second closing of a reopened case (a new event) gets its own."""
    key = f"{case_id}/{template}/{trigger_event_id}"
    if audience is not Audience.CITIZEN:
        key += f"/{audience.value}"
    if channel is Channel.WEBHOOK:
        key += "/webhook"  # an office may get the same news by mail and by webhook
    return uuid5(NOTIFICATION_NAMESPACE, key)


@dataclass(frozen=True)
class Attempt:
    """One try at the provider, as the ops API shows it."""

    delivery: int  # 1 for the first delivery, 2 for the first resend, ...
    at: datetime
    outcome: str  # accepted | temporary_failure | permanent_failure | posted
    reply: str


@dataclass(frozen=True)
class Resend:
    actor: str
    reason: str
    at: datetime
