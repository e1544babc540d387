"""notify-svc's aggregates: what it knows of each case, and each message sent to a citizen.

Pure: no I/O, and every time is passed in by the caller.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

CASE_FILE_NAMESPACE = UUID("73655316-0fa4-45cb-a7c2-754d97ef3ed9")
NOTIFICATION_NAMESPACE = UUID("2c394dd6-f044-4a23-bb27-4a6f5f5ceac6")

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"


class Template(StrEnum):
    """One kind of message. Each has a template file per language under adapters/templates/."""

    TAKEN_IN_CHARGE = "taken_in_charge"
    CLOSED = "closed"


class Channel(StrEnum):
    EMAIL = "email"


class Status(StrEnum):
    REQUESTED = "requested"
    SENT = "sent"
    FAILED = "failed"


class NotificationError(Exception):
    """Base of what a Notification refuses."""


class AlreadySettled(NotificationError):
    def __init__(self, notification_id: UUID, status: Status) -> None:
        super().__init__(f"notification {notification_id} is already {status.value}")


def case_file_id(case_id: str) -> UUID:
    return uuid5(CASE_FILE_NAMESPACE, case_id)


def notification_id_for(case_id: str, template: str, trigger_event_id: str) -> UUID:
    """One notification per (case, template, triggering event): the same event never mails twice,
    while a second closing of a reopened case (a new event) does get its own message."""
    return uuid5(NOTIFICATION_NAMESPACE, f"{case_id}/{template}/{trigger_event_id}")


class CaseFile(Aggregate):
    """notify's own projection of a case: only what it takes to write to the citizen."""

    class Opened(Aggregate.Created):
        case_id: str
        tenant: str
        reference: str
        citizen_name: str
        email: str | None
        language: str

    @event(Opened)
    def __init__(
        self,
        case_id: str,
        tenant: str,
        reference: str,
        citizen_name: str,
        email: str | None,
        language: str,
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.reference = reference
        self.citizen_name = citizen_name
        self.email = email
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.organization: str | None = None
        self.notifications: list[UUID] = []

    @classmethod
    def open(
        cls,
        *,
        case_id: str,
        tenant: str,
        reference: str,
        citizen_name: str,
        email: str | None,
        language: str,
    ) -> CaseFile:
        return cls._create(
            cls.Opened,
            id=case_file_id(case_id),
            case_id=case_id,
            tenant=tenant,
            reference=reference,
            citizen_name=citizen_name,
            email=email,
            language=language,
        )

    def record_organization(self, organization: str) -> None:
        """Who handles the case now (routing's decision); nothing to record if unchanged."""
        if organization and organization != self.organization:
            self._organization_recorded(organization=organization)

    @event("OrganizationRecorded")
    def _organization_recorded(self, organization: str) -> None:
        self.organization = organization

    def record_notification(self, notification_id: UUID) -> None:
        """The case's index of its notifications (ids are not derivable without the event ids)."""
        if notification_id not in self.notifications:
            self._notification_recorded(notification_id=notification_id)

    @event("NotificationRecorded")
    def _notification_recorded(self, notification_id: UUID) -> None:
        self.notifications.append(notification_id)


class Notification(Aggregate):
    """One message to a citizen: requested, then sent (the provider accepted it) or failed.

    `attempts` counts delivery tries: each retried temporary failure, plus the final try that
    either was accepted or failed for good.
    """

    class Requested(Aggregate.Created):
        case_id: str
        tenant: str
        template: str
        trigger_event_id: str
        channel: str
        recipient: str
        language: str
        context: dict[str, str]
        requested_at: datetime
        traceparent: str | None

    @event(Requested)
    def __init__(
        self,
        case_id: str,
        tenant: str,
        template: str,
        trigger_event_id: str,
        channel: str,
        recipient: str,
        language: str,
        context: dict[str, str],
        requested_at: datetime,
        traceparent: str | None,
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.template = template
        self.trigger_event_id = trigger_event_id
        self.channel = channel
        self.recipient = recipient
        self.language = language
        self.context = context
        self.requested_at = requested_at
        self.traceparent = traceparent
        self.status = Status.REQUESTED
        self.attempts = 0
        self.last_error: str | None = None
        self.provider_reply: str | None = None
        self.failure_reason: str | None = None
        self.settled_at: datetime | None = None

    @classmethod
    def request(
        cls,
        *,
        case_id: str,
        tenant: str,
        template: Template,
        trigger_event_id: str,
        recipient: str,
        language: str,
        context: dict[str, str],
        requested_at: datetime,
        traceparent: str | None,
        channel: Channel = Channel.EMAIL,
    ) -> Notification:
        return cls._create(
            cls.Requested,
            id=notification_id_for(case_id, template.value, trigger_event_id),
            case_id=case_id,
            tenant=tenant,
            template=template.value,
            trigger_event_id=trigger_event_id,
            channel=channel.value,
            recipient=recipient,
            language=language,
            context=context,
            requested_at=requested_at,
            traceparent=traceparent,
        )

    # --- delivery -------------------------------------------------------------------------------

    def record_failed_attempt(self, error: str, at: datetime) -> None:
        """A temporary failure that will be retried."""
        self._check_requested()
        self._attempt_failed(error=error, at=at)

    class AttemptFailed(Aggregate.Event):
        error: str
        at: datetime

    @event(AttemptFailed)
    def _attempt_failed(self, error: str, at: datetime) -> None:
        self.attempts += 1
        self.last_error = error

    def mark_sent(self, reply: str, at: datetime) -> None:
        """The provider accepted the message: only then is it sent."""
        self._check_requested()
        self._sent(**self._context(), reply=reply, at=at)

    class Sent(Aggregate.Event):
        case_id: str
        tenant: str
        template: str
        channel: str
        traceparent: str | None
        reply: str
        at: datetime

    @event(Sent)
    def _sent(
        self,
        case_id: str,
        tenant: str,
        template: str,
        channel: str,
        traceparent: str | None,
        reply: str,
        at: datetime,
    ) -> None:
        self.attempts += 1
        self.status = Status.SENT
        self.provider_reply = reply
        self.settled_at = at

    def mark_failed(self, reason: str, at: datetime) -> None:
        """Given up: a permanent refusal, or temporary failures past the retry bound."""
        self._check_requested()
        self._failed(**self._context(), reason=reason, at=at)

    class Failed(Aggregate.Event):
        case_id: str
        tenant: str
        template: str
        channel: str
        traceparent: str | None
        reason: str
        at: datetime

    @event(Failed)
    def _failed(
        self,
        case_id: str,
        tenant: str,
        template: str,
        channel: str,
        traceparent: str | None,
        reason: str,
        at: datetime,
    ) -> None:
        self.attempts += 1
        self.status = Status.FAILED
        self.failure_reason = reason
        self.settled_at = at

    # --- invariants -----------------------------------------------------------------------------

    def _context(self) -> dict[str, Any]:
        """Carried by the settling events so each can be published on its own."""
        return {
            "case_id": self.case_id,
            "tenant": self.tenant,
            "template": self.template,
            "channel": self.channel,
            "traceparent": self.traceparent,
        }

    def _check_requested(self) -> None:
        if self.status is not Status.REQUESTED:
            raise AlreadySettled(self.id, self.status)
