"""NotifyApplication's reactions and use cases, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic
from sportello_contracts.sla import SlaBreached, SlaWarning
from sportello_notify.application import CaseNotFound, NotALetter, NotifyApplication
from sportello_notify.domain import (
    Audience,
    Channel,
    Notification,
    NotifyPolicy,
    NotSettled,
    Status,
    Survey,
    SurveyAlreadyAnswered,
    SurveyExpired,
    Triggers,
    Webhook,
    notification_id_for,
)
from sportello_shared.bus.consumer import RetryLater

from .conftest import (
    EMAIL,
    NOW,
    OFFICE,
    OFFICE_NAME,
    OUTCOME,
    CaseStory,
    Clock,
    case_story,
    make_app,
    sla_event,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(store: dict[str, str], clock: Clock) -> Iterator[NotifyApplication]:
    application = make_app(store, clock)
    yield application
    application.close()


def live(app: NotifyApplication, story: CaseStory, count: int = 4) -> None:
    for event in story.events[:count]:
        app.process_incoming(event.incoming, event.tracking)


def by_template(app: NotifyApplication, story: CaseStory) -> dict[str, list[Notification]]:
    found: dict[str, list[Notification]] = {}
    for notification in app.notifications_for(story.case_id):
        found.setdefault(notification.template, []).append(notification)
    return found


def test_each_step_of_the_case_requests_its_message(app: NotifyApplication) -> None:
    story = case_story()
    live(app, story)

    found = by_template(app, story)
    assert list(found) == ["received", "assigned", "taken_in_charge", "closed"]
    (received,), (assigned,), (taken,), (closed,) = found.values()
    assert taken.id == notification_id_for(
        story.case_id, "taken_in_charge", story.taken_in_charge.envelope.id
    )
    for citizens in (received, taken, closed):
        assert citizens.audience is Audience.CITIZEN and citizens.channel is Channel.EMAIL
        assert citizens.recipient == EMAIL and citizens.language == "it"
        assert citizens.status is Status.REQUESTED and citizens.attempts == []
    assert taken.context == {
        "citizen_name": "Maria Rossi",
        "reference": "TO-2026-000042",
        "kind": "segnalazione",
        "office": OFFICE_NAME,
        "tenant_name": "Comune di Torino",
        "follow_url": "",
    }
    assert closed.context["outcome"] == OUTCOME
    assert closed.context["survey_url"].startswith("http://127.0.0.1:8005/torino/valutazione/")
    assert taken.requested_at == NOW  # the injected clock
    # the office is written to in Italian, at its address in tenant.yaml
    assert (assigned.audience, assigned.organization) == (Audience.ORGANIZATION, OFFICE)
    assert assigned.recipient == "pm-reparto-5@torino.sportello.example"
    assert assigned.context["description"] == "Cassonetti traboccanti in via Roma"
    assert assigned.context["category"] == "Decoro e pulizia della città"


def test_the_same_event_under_another_tracking_id_requests_nothing_more(
    app: NotifyApplication,
) -> None:
    story = case_story()
    live(app, story)
    stored = app.recorder.max_notification_id()

    # intake's log relayed anew (e.g. rebuilt): same events, new producer notification ids
    for event in story.events:
        app.process_incoming(event.incoming, Tracking(event.producer, event.notification_id + 100))

    assert len(app.notifications_for(story.case_id)) == 4
    assert app.recorder.max_notification_id() == stored  # no new event of any kind


def test_an_event_that_overtook_received_is_retried_later(app: NotifyApplication) -> None:
    story = case_story()
    for event in (story.assigned, story.taken_in_charge, story.closed):
        with pytest.raises(RetryLater, match=story.case_id):
            app.process_incoming(event.incoming, event.tracking)
        assert not app.is_tracked(event.tracking)

    live(app, story)
    assert len(app.notifications_for(story.case_id)) == 4


def test_a_tenant_can_turn_a_trigger_off(app: NotifyApplication) -> None:
    story = case_story(tenant="pisa", channel="phone")  # pisa/notify.yaml: none for a live call
    live(app, story)
    assert "received" not in by_template(app, story)
    assert "taken_in_charge" in by_template(app, story)
    (skipped,) = app.get_case_file(story.case_id).skipped
    assert (skipped.template, skipped.reason) == (
        "received",
        "phone: the reference was given live (notify.yaml)",
    )


@pytest.mark.parametrize("channel", ["email", "pec", "post", "fax", "web", "voicemail"])
def test_what_came_in_writing_is_acknowledged_even_where_live_calls_are_not(
    app: NotifyApplication, channel: str
) -> None:
    story = case_story(tenant="pisa", channel=channel)
    live(app, story)
    assert "received" in by_template(app, story)


@pytest.mark.parametrize(("tenant", "acknowledged"), [("pisa", False), ("torino", True)])
def test_a_counter_visit_is_acknowledged_as_the_tenant_says(
    app: NotifyApplication, tenant: str, acknowledged: bool
) -> None:
    story = case_story(tenant=tenant, channel="counter")
    live(app, story)
    assert ("received" in by_template(app, story)) is acknowledged


def test_a_citizen_with_a_phone_only_gets_sms_in_english_if_asked(app: NotifyApplication) -> None:
    story = case_story(email=None, phone="+39 333 1234567", language="en")
    live(app, story)
    citizens = [n for n in app.notifications_for(story.case_id) if n.audience is Audience.CITIZEN]
    assert len(citizens) == 3
    assert {(n.channel, n.recipient, n.language) for n in citizens} == {
        (Channel.SMS, "+39 333 1234567", "en")
    }


def test_a_citizen_with_only_a_postal_address_gets_letters_in_the_office_tray(
    app: NotifyApplication,
) -> None:
    story = case_story(email=None, address="via Roma 1, 10121 Torino")
    live(app, story, count=3)
    letters = app.pending_letters("torino")
    assert [(n.template, n.channel) for n in letters] == [
        ("received", Channel.LETTER),
        ("taken_in_charge", Channel.LETTER),
    ]
    assert letters[0].recipient == "via Roma 1, 10121 Torino"

    posted = app.post_letter(letters[0].id, "ufficio-protocollo")
    assert posted.status is Status.SENT
    assert posted.provider_reply == "posted by ufficio-protocollo"
    assert [n.id for n in app.pending_letters("torino")] == [letters[1].id]
    with pytest.raises(NotALetter):
        app.post_letter(by_template(app, story)["assigned"][0].id, "anna")


def test_old_events_tell_nobody_but_are_tracked_and_kept_on_the_file(
    app: NotifyApplication, clock: Clock
) -> None:
    clock.now = NOW + timedelta(days=3)  # the events were recorded three days ago
    story = case_story()
    live(app, story)
    for event in story.events:
        assert app.is_tracked(event.tracking)
    assert app.notifications_for(story.case_id) == []
    skipped = app.get_case_file(story.case_id).skipped
    assert [s.template for s in skipped] == ["received", "assigned", "taken_in_charge", "closed"]
    assert "NOTIFY_MAX_EVENT_AGE" in skipped[0].reason


def test_deadlines_are_told_to_the_office_and_the_urp(app: NotifyApplication) -> None:
    story = case_story()
    live(app, story, count=2)
    app.process_incoming(sla_event(story, SlaWarning).incoming, Tracking("sla", 1))
    unassigned = sla_event(story, SlaBreached, organization=None, notification_id=2)
    app.process_incoming(unassigned.incoming, Tracking("sla", 2))

    found = by_template(app, story)
    assert {(n.audience, n.recipient) for n in found["sla_warning"]} == {
        (Audience.ORGANIZATION, "pm-reparto-5@torino.sportello.example"),
        (Audience.URP, "contactcenterpm@comune.torino.it"),  # torino's triage office
    }
    assert [n.audience for n in found["sla_breached"]] == [Audience.URP]
    warning = found["sla_warning"][0]
    assert warning.context["standard"] == "answer_30d"
    assert warning.context["deadline"] == "01/04/2026 11:00"  # 09:00 UTC, summer time in Torino


def test_an_organization_with_a_webhook_gets_it_as_well_as_mail(
    store: dict[str, str], clock: Clock
) -> None:
    hook = Webhook(url="https://reparto5.example/hook", secret_env="REPARTO5_SECRET")
    app = make_app(store, clock, policies={"torino": NotifyPolicy(webhooks={OFFICE: hook})})
    try:
        story = case_story()
        live(app, story, count=2)
        assigned = by_template(app, story)["assigned"]
        assert {(n.channel, n.recipient) for n in assigned} == {
            (Channel.EMAIL, "pm-reparto-5@torino.sportello.example"),
            (Channel.WEBHOOK, "https://reparto5.example/hook"),
        }
    finally:
        app.close()


def test_a_failed_message_alerts_the_urp_once_and_an_alert_never_alerts(
    app: NotifyApplication,
) -> None:
    story = case_story()
    live(app, story, count=3)
    taken = by_template(app, story)["taken_in_charge"][0]
    app.mark_failed(taken.id, "550 5.1.1 Mailbox unavailable", NOW)

    (alert,) = by_template(app, story)["delivery_failed"]
    assert (alert.audience, alert.recipient) == (Audience.URP, "contactcenterpm@comune.torino.it")
    # what the office can act on, in words; the provider's reply stays in the logs and the API
    assert alert.context["failed_message"] == "avviso di presa in carico"
    assert alert.context["failed_channel"] == "posta elettronica"
    assert "rifiutato" in alert.context["failure_cause"]
    assert "550" not in " ".join(alert.context.values())
    app.mark_failed(alert.id, "550 no such mailbox", NOW)
    assert len(by_template(app, story)["delivery_failed"]) == 1


def test_a_resend_is_audited_and_refused_while_still_delivering(app: NotifyApplication) -> None:
    story = case_story()
    live(app, story, count=3)
    taken = by_template(app, story)["taken_in_charge"][0]
    with pytest.raises(NotSettled):
        app.resend(taken.id, "anna", "the citizen says it never arrived")
    app.mark_sent(taken.id, "250 ok", NOW)

    resent = app.resend(taken.id, "anna", "the citizen says it never arrived")
    assert resent.status is Status.REQUESTED and resent.delivery == 2
    assert [(r.actor, r.at) for r in resent.resends] == [("anna", NOW)]
    assert app.get_notification(taken.id).message_key == f"{taken.id}.2"


def test_messages_accepted_together_are_recorded_sent_in_one_transaction(
    app: NotifyApplication,
) -> None:
    stories = [case_story(), case_story(first_notification_id=10)]
    for story in stories:
        live(app, story, count=3)
    first, second = (by_template(app, s)["taken_in_charge"][0] for s in stories)
    settled = by_template(app, stories[0])["received"][0]
    app.mark_sent(settled.id, "250 earlier", NOW)
    unknown = notification_id_for("nobody", "received", "e0", Audience.CITIZEN)
    head = app.recorder.max_notification_id()

    outcomes = app.mark_all_sent(
        [
            (first.id, "250 one", NOW),
            (settled.id, "250 again", NOW),  # settled already: its error, the others go on
            (unknown, "250 ?", NOW),
            (second.id, "250 two", NOW),
            (first.id, "250 twice", NOW),  # the same message twice in one call: refused
        ]
    )

    assert [type(o).__name__ for o in outcomes] == [
        "Notification", "AlreadySettled", "NotificationNotFound", "Notification", "AlreadySettled"
    ]  # fmt: skip
    for notification, reply in ((first, "250 one"), (second, "250 two"), (settled, "250 earlier")):
        again = app.get_notification(notification.id)
        assert (again.status, again.provider_reply) == (Status.SENT, reply)
    new = app.recorder.select_notifications(start=head, limit=10, inclusive_of_start=False)
    assert [n.topic.rsplit(".", 1)[1] for n in new] == ["Sent", "Sent"]


def test_the_survey_is_answered_once_published_and_summarised_per_office(
    app: NotifyApplication,
) -> None:
    stories = [case_story(), case_story(first_notification_id=10)]
    for story in stories:
        live(app, story)
    tokens = [
        by_template(app, s)["closed"][0].context["survey_url"].rsplit("/", 1)[1] for s in stories
    ]
    app.answer_survey(tokens[0], 4, "Gentili")
    app.answer_survey(tokens[1], 2, None)
    with pytest.raises(SurveyAlreadyAnswered):
        app.answer_survey(tokens[0], 5, None)

    (line,) = app.survey_summary("torino", NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert (line.organization, line.answers, line.average) == (OFFICE, 2, 3.0)
    assert line.ratings == {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}
    assert app.survey_summary("torino", NOW + timedelta(days=1), NOW + timedelta(days=2)) == []
    assert app.survey_summary("pisa", NOW - timedelta(days=1), NOW + timedelta(days=1)) == []

    answered = app.recorder.select_notifications(
        start=1, limit=100, topics=[get_topic(Survey.Answered)]
    )
    assert len(answered) == 2


def test_an_expired_survey_takes_no_answer(app: NotifyApplication, clock: Clock) -> None:
    story = case_story()
    live(app, story)
    token = by_template(app, story)["closed"][0].context["survey_url"].rsplit("/", 1)[1]
    clock.now = NOW + timedelta(days=31)  # torino/notify.yaml: valid 30 days
    with pytest.raises(SurveyExpired):
        app.answer_survey(token, 5, None)


def test_a_tenant_without_surveys_sends_none(store: dict[str, str], clock: Clock) -> None:
    app = make_app(store, clock, policies={"torino": NotifyPolicy(triggers=Triggers())})
    try:
        assert NotifyPolicy().survey.enabled
        app.policies["torino"] = NotifyPolicy.model_validate({"survey": {"enabled": False}})
        story = case_story()
        live(app, story)
        assert "survey_url" not in by_template(app, story)["closed"][0].context
    finally:
        app.close()


def test_unknown_cases_are_not_found(app: NotifyApplication) -> None:
    with pytest.raises(CaseNotFound):
        app.notifications_for("00000000-0000-0000-0000-000000000000")
