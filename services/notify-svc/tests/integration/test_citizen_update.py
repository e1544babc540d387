"""What issue 18 asks notify to write, on SQLite and PostgreSQL: the office's free-text update
to the citizen (its words asked of intake, never on the stream), and a merge to the citizens
of both cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sportello_contracts.case_acts import CaseCitizenUpdated, CaseDuplicateMerged
from sportello_contracts.cases import (
    CaseRejected,
    text_facts,
)
from sportello_notify.application import NotifyApplication
from sportello_notify.domain import Audience

from .conftest import T0, Clock, case_story, make_app
from .test_messages_asked import case_event, of, process

UPDATE = "Il sopralluogo dei tecnici è fissato per lunedì 9 marzo in mattinata."


@pytest.fixture
def app(store: dict[str, str]) -> Iterator[NotifyApplication]:
    application = make_app(store, Clock())
    yield application
    application.close()


def test_an_update_reaches_the_citizen_with_the_office_s_words(app: NotifyApplication) -> None:
    story = case_story()
    payload = CaseCitizenUpdated(
        case_id=story.case_id,
        reference="TO-2026-000042",
        occurred_at=T0 + timedelta(minutes=40),
        actor="anna@to",
        **text_facts("message", UPDATE),
    )
    update = case_event(story, payload, version=4, n=12, text=UPDATE)
    process(app, story.received, story.assigned, story.taken_in_charge, update)
    again = case_event(story, payload, version=4, n=13, text=UPDATE)
    process(app, again)  # the same event again, under another tracking id: one message

    (sent,) = of(app, story, "citizen_updated")
    assert sent.audience is Audience.CITIZEN
    assert sent.context["message"] == UPDATE
    assert sent.context["reference"] == "TO-2026-000042"
    assert UPDATE not in update.envelope.to_bytes().decode()


def test_the_citizens_of_both_cases_of_a_merge_are_told(app: NotifyApplication) -> None:
    original, duplicate = case_story(), case_story(first_notification_id=101)
    process(app, original.received, original.assigned)
    at = T0 + timedelta(minutes=50)
    dismissed = CaseRejected(
        case_id=duplicate.case_id,
        reference="TO-2026-000043",
        occurred_at=at,
        **text_facts("reason", "fuori competenza"),
    )
    merged = CaseRejected(
        case_id=duplicate.case_id,
        reference="TO-2026-000043",
        occurred_at=at,
        duplicate_of="TO-2026-000042",
        merged=True,
        **text_facts("reason", "stesso problema"),
    )
    joined = CaseDuplicateMerged(
        case_id=original.case_id,
        reference="TO-2026-000042",
        occurred_at=at,
        duplicate_reference="TO-2026-000043",
        duplicate_case_id=duplicate.case_id,
    )
    process(app, duplicate.received, duplicate.assigned)
    process(app, case_event(duplicate, dismissed, version=3, n=20))
    assert of(app, duplicate, "merged") == []  # set aside, not merged: nothing to say here
    process(app, case_event(duplicate, merged, version=4, n=21))
    process(app, case_event(original, joined, version=3, n=22))

    (told,) = of(app, duplicate, "merged")
    assert told.audience is Audience.CITIZEN and told.context["original"] == "TO-2026-000042"
    (also,) = of(app, original, "duplicate_merged")
    assert also.audience is Audience.CITIZEN
