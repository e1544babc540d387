"""notify's aggregates on their own: no I/O, time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sportello_notify.domain import (
    AlreadySettled,
    Audience,
    CaseFile,
    Channel,
    Contact,
    Notification,
    NotSettled,
    Status,
    Template,
    case_file_id,
    notification_id_for,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CASE_ID = "0b5bd3a4-25a4-4b57-9d41-7c8e1a0e6d10"


def case_file(email: str | None = "maria.rossi@example.org", language: str = "it") -> CaseFile:
    return CaseFile.open(
        case_id=CASE_ID,
        tenant="torino",
        reference="TO-2026-000001",
        citizen_name="Maria Rossi",
        contact=Contact(email=email),
        language=language,
    )


def requested(trigger: str = f"{CASE_ID}:3") -> Notification:
    return Notification.request(
        case_id=CASE_ID,
        tenant="torino",
        template=Template.TAKEN_IN_CHARGE,
        trigger_event_id=trigger,
        recipient="maria.rossi@example.org",
        language="it",
        context={"citizen_name": "Maria Rossi", "reference": "TO-2026-000001"},
        requested_at=T0,
        traceparent=None,
    )


def status_of(notification: Notification) -> Status:
    return notification.status


def test_a_case_file_has_a_deterministic_id_and_what_notify_needs() -> None:
    file = case_file()
    assert file.id == case_file_id(CASE_ID) == case_file().id
    assert (file.tenant, file.reference, file.contact.email, file.language) == (
        "torino",
        "TO-2026-000001",
        "maria.rossi@example.org",
        "it",
    )
    assert file.organization is None
    assert case_file(language="de").language == "it"  # no templates in other languages yet


def test_recording_the_same_organization_twice_records_it_once() -> None:
    file = case_file()
    file.collect_events()
    file.record_organization("pm-reparto-5")
    file.record_organization("pm-reparto-5")
    file.record_organization("")
    assert file.organization == "pm-reparto-5"
    assert len(file.collect_events()) == 1


def test_a_notification_id_is_one_per_case_template_and_triggering_event() -> None:
    first = notification_id_for(CASE_ID, "closed", f"{CASE_ID}:4")
    assert first == notification_id_for(CASE_ID, "closed", f"{CASE_ID}:4")
    assert first != notification_id_for(CASE_ID, "closed", f"{CASE_ID}:7")  # closed again
    assert first != notification_id_for(CASE_ID, "taken_in_charge", f"{CASE_ID}:4")
    assert requested().id == requested().id
    assert requested().id != requested(trigger=str(uuid4())).id


def test_requested_then_sent_after_a_retried_attempt() -> None:
    notification = requested()
    assert notification.status is Status.REQUESTED and notification.attempts == []
    notification.record_failed_attempt("451 4.3.0 busy", T0 + timedelta(seconds=1))
    assert notification.status is Status.REQUESTED
    assert (len(notification.attempts), notification.last_error) == (1, "451 4.3.0 busy")
    notification.mark_sent("250 Message accepted", T0 + timedelta(seconds=3))
    assert status_of(notification) is Status.SENT
    assert [a.outcome for a in notification.attempts] == ["temporary_failure", "accepted"]
    assert notification.provider_reply == "250 Message accepted"
    assert notification.settled_at == T0 + timedelta(seconds=3)


def test_the_settling_events_carry_what_publishing_them_needs() -> None:
    notification = requested()
    notification.mark_sent("250 ok", T0)
    sent = notification.collect_events()[-1]
    assert isinstance(sent, Notification.Sent)
    assert (sent.case_id, sent.tenant, sent.template, sent.channel) == (
        CASE_ID,
        "torino",
        "taken_in_charge",
        "email",
    )


def test_requested_then_failed() -> None:
    notification = requested()
    notification.mark_failed("SMTPDataError: 550 rejected", T0)
    assert notification.status is Status.FAILED
    assert notification.failure_reason == "SMTPDataError: 550 rejected"
    assert len(notification.attempts) == 1
    assert notification.provider_reply is None


@pytest.mark.parametrize("settle", ["sent", "failed"])
def test_a_settled_notification_cannot_be_settled_or_attempted_again(settle: str) -> None:
    notification = requested()
    if settle == "sent":
        notification.mark_sent("250 ok", T0)
    else:
        notification.mark_failed("550 no", T0)
    with pytest.raises(AlreadySettled, match=f"already {settle}"):
        notification.mark_sent("250 ok", T0)
    with pytest.raises(AlreadySettled):
        notification.mark_failed("550 no", T0)
    with pytest.raises(AlreadySettled):
        notification.record_failed_attempt("451", T0)


def test_the_citizen_is_reached_by_mail_then_sms_then_letter() -> None:
    assert Contact("a@example.org", "+39 333 1234567", "via Roma 1").preferred() == (
        Channel.EMAIL,
        "a@example.org",
    )
    assert Contact(None, "+39 333 1234567", "via Roma 1").preferred() == (
        Channel.SMS,
        "+39 333 1234567",
    )
    assert Contact(None, None, "via Roma 1, Torino").preferred() == (
        Channel.LETTER,
        "via Roma 1, Torino",
    )
    assert Contact().preferred() is None


def test_offices_and_webhooks_get_their_own_notification_for_the_same_event() -> None:
    ids = {
        notification_id_for(CASE_ID, "sla_breached", "e:1"),
        notification_id_for(CASE_ID, "sla_breached", "e:1", Audience.ORGANIZATION),
        notification_id_for(CASE_ID, "sla_breached", "e:1", Audience.URP),
        notification_id_for(CASE_ID, "sla_breached", "e:1", Audience.ORGANIZATION, Channel.WEBHOOK),
    }
    assert len(ids) == 4


def test_a_resend_is_a_new_audited_delivery_with_its_own_message_key() -> None:
    notification = requested()
    first_key = notification.message_key
    with pytest.raises(NotSettled):
        notification.resend("anna", "the citizen says it never arrived", T0)
    notification.mark_sent("250 ok", T0)
    notification.resend("anna", "the citizen says it never arrived", T0 + timedelta(days=1))
    assert notification.status is Status.REQUESTED and notification.delivery == 2
    assert notification.message_key == f"{notification.id}.2" != first_key
    assert first_key == str(notification.id)
    assert [(r.actor, r.reason) for r in notification.resends] == [
        ("anna", "the citizen says it never arrived")
    ]
    notification.mark_sent("250 ok again", T0 + timedelta(days=1))
    assert [a.delivery for a in notification.attempts] == [1, 2]
    assert notification.tries_this_delivery() == 1


def test_a_postponement_is_recorded_once_per_time() -> None:
    notification = requested()
    notification.collect_events()
    notification.postpone(T0 + timedelta(hours=8))
    notification.postpone(T0 + timedelta(hours=8))
    assert notification.postponed_until == T0 + timedelta(hours=8)
    assert len(notification.collect_events()) == 1
