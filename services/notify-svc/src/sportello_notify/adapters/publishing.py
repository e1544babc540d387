"""Maps notify's stored events to the public contract. The recipient's address never leaves."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from sportello_contracts import EventPayload
from sportello_contracts.notifications import (
    NotificationFailed,
    NotificationSent,
    SurveyAnswered,
)
from sportello_contracts.subjects import notification_subject
from sportello_shared.bus.relay import Outgoing, outgoing_for

from ..domain import Notification, Survey

SOURCE = "/sportello/notify-svc"


@singledispatch
def to_public(_domain_event: Any) -> Outgoing | None:
    """Case files, requests, retried attempts and letter trays are notify's own bookkeeping."""
    return None


@to_public.register
def _(e: Notification.Sent) -> Outgoing:
    payload = NotificationSent(
        notification_id=str(e.originator_id),
        case_id=e.case_id,
        template=e.template,
        channel=e.channel,
        at=e.at,
    )
    return _outgoing(e, payload, e.tenant, e.traceparent)


@to_public.register
def _(e: Notification.Failed) -> Outgoing:
    payload = NotificationFailed(
        notification_id=str(e.originator_id),
        case_id=e.case_id,
        template=e.template,
        channel=e.channel,
        at=e.at,
        reason=e.reason,  # scrubbed of addresses by the mailer
    )
    return _outgoing(e, payload, e.tenant, e.traceparent)


@to_public.register
def _(e: Survey.Answered) -> Outgoing:
    """The rating only: the comment may hold personal data and stays here."""
    payload = SurveyAnswered(
        case_id=e.case_id, organization=e.organization, rating=e.rating, at=e.at
    )
    subject = notification_subject(e.tenant, "survey_answered")
    return outgoing_for(e, payload, subject=subject, source=SOURCE, traceparent=None)


def _outgoing(e: Any, payload: EventPayload, tenant: str, traceparent: str | None) -> Outgoing:
    subject = notification_subject(tenant, payload.event)
    return outgoing_for(e, payload, subject=subject, source=SOURCE, traceparent=traceparent)
