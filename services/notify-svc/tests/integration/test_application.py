"""NotifyApplication's reactions to the case lifecycle, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from eventsourcing.persistence import Tracking
from sportello_notify.application import CaseNotFound, NotifyApplication
from sportello_notify.domain import Status, notification_id_for
from sportello_shared.bus.consumer import RetryLater

from .conftest import EMAIL, OFFICE_NAME, OUTCOME, T0, case_story, make_app


@pytest.fixture
def app(store: dict[str, str]) -> Iterator[NotifyApplication]:
    application = make_app(store)
    yield application
    application.close()


def test_taken_in_charge_and_closed_each_request_one_notification(app: NotifyApplication) -> None:
    story = case_story()
    for event in story.events:
        app.process_incoming(event.incoming, event.tracking)

    notifications = app.notifications_for(story.case_id)
    assert [n.template for n in notifications] == ["taken_in_charge", "closed"]
    taken, closed = notifications
    assert taken.id == notification_id_for(
        story.case_id, "taken_in_charge", story.taken_in_charge.envelope.id
    )
    assert all(n.status is Status.REQUESTED and n.attempts == 0 for n in notifications)
    assert taken.recipient == EMAIL and taken.language == "it"
    assert taken.context == {
        "citizen_name": "Maria Rossi",
        "reference": "TO-2026-000042",
        "office": OFFICE_NAME,
        "tenant_name": "Comune di Torino",
    }
    assert closed.context["outcome"] == OUTCOME
    assert taken.requested_at == T0 + timedelta(days=2)  # the injected clock


def test_the_same_event_under_another_tracking_id_requests_nothing_more(
    app: NotifyApplication,
) -> None:
    story = case_story()
    for event in story.events:
        app.process_incoming(event.incoming, event.tracking)
    stored = app.recorder.max_notification_id()

    # intake's log relayed anew (e.g. rebuilt): same events, new producer notification ids
    for event in story.events:
        app.process_incoming(event.incoming, Tracking(event.producer, event.notification_id + 100))

    assert len(app.notifications_for(story.case_id)) == 2
    assert app.recorder.max_notification_id() == stored  # no new event of any kind


def test_an_event_that_overtook_received_is_retried_later(app: NotifyApplication) -> None:
    story = case_story()
    for event in (story.assigned, story.taken_in_charge, story.closed):
        with pytest.raises(RetryLater, match=story.case_id):
            app.process_incoming(event.incoming, event.tracking)
        assert not app.is_tracked(event.tracking)

    for event in story.events:
        app.process_incoming(event.incoming, event.tracking)
    assert len(app.notifications_for(story.case_id)) == 2


def test_a_citizen_without_email_is_not_written_to_yet(app: NotifyApplication) -> None:
    story = case_story(email=None, phone="+39 011 1234567")
    for event in story.events:
        app.process_incoming(event.incoming, event.tracking)
        assert app.is_tracked(event.tracking)
    assert app.notifications_for(story.case_id) == []


def test_an_english_speaking_citizen_gets_english_and_unknown_cases_are_not_found(
    app: NotifyApplication,
) -> None:
    story = case_story(language="en")
    for event in story.events:
        app.process_incoming(event.incoming, event.tracking)
    assert {n.language for n in app.notifications_for(story.case_id)} == {"en"}
    with pytest.raises(CaseNotFound):
        app.notifications_for("00000000-0000-0000-0000-000000000000")
