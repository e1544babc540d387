"""intake's `case.personal_data_erased`: notify forgets its copy of the citizen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sportello_contracts.cases import CasePersonalDataErased
from sportello_notify.application import NotifyApplication
from sportello_notify.domain import Audience, CaseFile, case_file_id
from sportello_shared.personal_data import ERASED_TEXT

from .conftest import EMAIL, NOW, Clock, _published, case_story, make_app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(store: dict[str, str], clock: Clock) -> Iterator[NotifyApplication]:
    application = make_app(store, clock)
    yield application
    application.close()


def erasure_of(case_id: str, notification_id: int) -> object:
    payload = CasePersonalDataErased(
        case_id=case_id,
        reference="TO-2026-000042",
        occurred_at=NOW + timedelta(minutes=5),
        actor="dpo@comune.torino.it",
    )
    return _published(
        payload,
        aggregate_id=case_id,
        version=6,
        organization="pm-reparto-5",
        producer="intake",
        notification_id=notification_id,
        at=NOW,
    )


def test_an_erased_case_s_contact_and_messages_are_unreadable_and_their_count_stays(
    app: NotifyApplication, store: dict[str, str], clock: Clock
) -> None:
    story = case_story(at=NOW)
    other = case_story(at=NOW, first_notification_id=50)
    for event in [*story.events, *other.events]:
        app.process_incoming(event.incoming, event.tracking)
    before = app.notifications_for(story.case_id)
    assert any(n.recipient == EMAIL for n in before)

    erasure = erasure_of(story.case_id, 100)
    app.process_incoming(erasure.incoming, erasure.tracking)  # type: ignore[attr-defined]

    reader = make_app(store, clock)  # another process: nothing cached
    try:
        case_file = reader._find(CaseFile, case_file_id(story.case_id))
        assert case_file is not None
        assert case_file.citizen_name == ERASED_TEXT and case_file.contact.preferred() is None
        assert case_file.personal_data_erased_at is not None
        after = reader.notifications_for(story.case_id)
        assert len(after) == len(before)  # every message is still counted
        for notification in after:
            assert notification.recipient == "" and notification.context == {}
            assert notification.template in {n.template for n in before}
        offices = [n for n in after if n.audience is Audience.ORGANIZATION]
        assert offices and offices[0].organization == "pm-reparto-5"
        # the other citizen is untouched
        assert all(n.recipient for n in reader.notifications_for(other.case_id))
    finally:
        reader.close()


def test_the_erasure_redelivered_or_before_the_case_changes_nothing_more(
    app: NotifyApplication,
) -> None:
    story = case_story(at=NOW)
    erasure = erasure_of(story.case_id, 100)
    app.process_incoming(erasure.incoming, erasure.tracking)  # type: ignore[attr-defined]
    # a late case.received (a replay) after the erasure: what was erased is not written again
    app.process_incoming(story.received.incoming, story.received.tracking)
    case_file = app._find(CaseFile, case_file_id(story.case_id))
    assert case_file is not None
    reread = make_app_reader(app)
    try:
        stored = reread._find(CaseFile, case_file_id(story.case_id))
        assert stored is not None and stored.citizen_name == ERASED_TEXT
    finally:
        reread.close()


def make_app_reader(app: NotifyApplication) -> NotifyApplication:
    return NotifyApplication(app.tenants, env=dict(app.env))
