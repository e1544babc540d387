"""One message to one recipient: requested, then sent (the provider accepted it) or failed.

Pure: no I/O, and every time is passed in by the caller.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, event

from .delivery_terms import (
    AlreadySettled,
    Attempt,
    Audience,
    Channel,
    NotSettled,
    Resend,
    Status,
    notification_id_for,
)


class Template(StrEnum):
    """One kind of message. Each has a template file per language under adapters/templates/."""

    RECEIVED = "received"
    TAKEN_IN_CHARGE = "taken_in_charge"
    CLOSED = "closed"
    CITIZEN_UPDATED = "citizen_updated"  # the office's free-text update (issue 18)
    MERGED = "merged"  # to a duplicate's citizen: followed on the original
    DUPLICATE_MERGED = "duplicate_merged"  # to the original's: someone reported the same
    WAITING_FOR_CITIZEN = "waiting_for_citizen"  # what the office asks, how and by when
    WAITING_REMINDER = "waiting_reminder"  # the same, a few days before the pause runs out
    UNDER_REVIEW = "under_review"  # nobody could take the case: the URP is looking at it
    ASSIGNED = "assigned"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    DELIVERY_FAILED = "delivery_failed"
    ROUTING_FAILED = "routing_failed"  # to the URP: nobody took the case
    ON_CALL_ALERT = "on_call_alert"  # an urgent case out of office hours: the on-call rota
    # Casale's procedures (issue 18 point 6), to the citizen
    PROTOCOLLED = "protocolled"  # the application's protocol number
    INSPECTION_SCHEDULED = "inspection_scheduled"  # when the site inspection takes place
    ATTESTATION_ISSUED = "attestation_issued"  # the attestation is ready


class Notification(Aggregate):
    """`delivery` counts rounds: the first, then one per explicit resend. Each round ends sent or
    failed; `attempts` keeps every try of every round."""

    class Requested(Aggregate.Created):
        # who it is for and what it says name the citizen: sealed under the case's key
        personal_data: ClassVar[dict[str, Any]] = {"recipient": "", "context": {}}
        personal_data_subject: ClassVar[str] = "case_id"

        case_id: str
        tenant: str
        template: str
        trigger_event_id: str
        audience: str
        organization: str | None
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
        audience: str,
        organization: str | None,
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
        self.audience = Audience(audience)
        self.organization = organization
        self.channel = Channel(channel)
        self.recipient = recipient
        self.language = language
        self.context = context
        self.requested_at = requested_at
        self.traceparent = traceparent
        self.status = Status.REQUESTED
        self.delivery = 1
        self.attempts: list[Attempt] = []
        self.resends: list[Resend] = []
        self.postponed_until: datetime | None = None
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
        audience: Audience = Audience.CITIZEN,
        organization: str | None = None,
    ) -> Notification:
        return cls._create(
            cls.Requested,
            id=notification_id_for(case_id, template.value, trigger_event_id, audience, channel),
            case_id=case_id,
            tenant=tenant,
            template=template.value,
            trigger_event_id=trigger_event_id,
            audience=audience.value,
            organization=organization,
            channel=channel.value,
            recipient=recipient,
            language=language,
            context=context,
            requested_at=requested_at,
            traceparent=traceparent,
        )

    @property
    def message_key(self) -> str:
        """Stable per delivery round: the Message-ID / idempotency key a provider sees."""
        return str(self.id) if self.delivery == 1 else f"{self.id}.{self.delivery}"

    @property
    def provider_reply(self) -> str | None:
        accepted = [a for a in self.attempts if a.outcome in ("accepted", "posted")]
        return accepted[-1].reply if accepted else None

    @property
    def last_error(self) -> str | None:
        failed = [a for a in self.attempts if a.outcome.endswith("failure")]
        return failed[-1].reply if failed else None

    def tries_this_delivery(self) -> int:
        return sum(1 for a in self.attempts if a.delivery == self.delivery)

    # --- delivery -------------------------------------------------------------------------------

    def postpone(self, until: datetime) -> None:
        """Not now (quiet hours for SMS): the dispatcher comes back at `until`."""
        self._check_requested()
        if until != self.postponed_until:
            self._postponed(until=until)

    class Postponed(Aggregate.Event):
        until: datetime

    @event(Postponed)
    def _postponed(self, until: datetime) -> None:
        self.postponed_until = until

    def record_failed_attempt(self, error: str, at: datetime) -> None:
        """A temporary failure that will be retried."""
        self._check_requested()
        self._attempt_failed(error=error, at=at)

    class AttemptFailed(Aggregate.Event):
        error: str
        at: datetime

    @event(AttemptFailed)
    def _attempt_failed(self, error: str, at: datetime) -> None:
        self.attempts.append(Attempt(self.delivery, at, "temporary_failure", error))

    def mark_sent(self, reply: str, at: datetime) -> None:
        """The provider accepted the message (or the office posted the letter): only then."""
        self._check_requested()
        self._sent(**self._public(), reply=reply, at=at)

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
        outcome = "posted" if self.channel is Channel.LETTER else "accepted"
        self.attempts.append(Attempt(self.delivery, at, outcome, reply))
        self.status = Status.SENT
        self.settled_at = at

    def mark_failed(self, reason: str, at: datetime) -> None:
        """Given up: a permanent refusal, or temporary failures past the retry bound."""
        self._check_requested()
        self._failed(**self._public(), reason=reason, at=at)

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
        self.attempts.append(Attempt(self.delivery, at, "permanent_failure", reason))
        self.status = Status.FAILED
        self.failure_reason = reason
        self.settled_at = at

    def withdraw(self, reason: str, at: datetime) -> None:
        """Not sent because it no longer applies when due; kept, with why, for the ops API."""
        self._check_requested()
        self._withdrawn(reason=reason, at=at)

    class Withdrawn(Aggregate.Event):
        reason: str
        at: datetime

    @event(Withdrawn)
    def _withdrawn(self, reason: str, at: datetime) -> None:
        self.status = Status.WITHDRAWN
        self.failure_reason = reason
        self.settled_at = at

    def resend(self, actor: str, reason: str, at: datetime) -> None:
        """Deliver once more, on an operator's explicit request (audited: who, why, when)."""
        if self.status is Status.REQUESTED:
            raise NotSettled(self.id)
        self._resend_requested(actor=actor, reason=reason, at=at)

    class ResendRequested(Aggregate.Event):
        actor: str
        reason: str
        at: datetime

    @event(ResendRequested)
    def _resend_requested(self, actor: str, reason: str, at: datetime) -> None:
        self.resends.append(Resend(actor, reason, at))
        self.delivery += 1
        self.status = Status.REQUESTED
        self.postponed_until = None
        self.failure_reason = None
        self.settled_at = None

    # --- invariants -----------------------------------------------------------------------------

    def _public(self) -> dict[str, Any]:
        """Carried by the settling events so each can be published on its own."""
        return {
            "case_id": self.case_id,
            "tenant": self.tenant,
            "template": self.template,
            "channel": self.channel.value,
            "traceparent": self.traceparent,
        }

    def _check_requested(self) -> None:
        if self.status is not Status.REQUESTED:
            raise AlreadySettled(self.id, self.status)
