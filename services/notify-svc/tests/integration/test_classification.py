"""case.classified: the triage's kind, category and completed identity reach notify's file on the
case, so the messages after it use them. SQLite and PostgreSQL; intake's answer as it gives it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sportello_contracts import parse_payload
from sportello_contracts.cases import CaseClassified, Citizen
from sportello_notify.application import NotifyApplication
from sportello_notify.domain import Audience, Channel, Notification
from sportello_shared.application import Incoming

from .conftest import (
    INTAKE_FILES,
    T0,
    CaseStory,
    Clock,
    Published,
    _published,
    case_story,
    intake_answer,
    make_app,
)

NEW_EMAIL = "mario.bianchi@example.org"


@pytest.fixture
def app(store: dict[str, str]) -> Iterator[NotifyApplication]:
    application = make_app(store, Clock())
    yield application
    application.close()


def classified(story: CaseStory, identity: Citizen | None) -> Published:
    """intake's case.classified (category qualita_urbana, kind reclamo); with `identity`, the
    citizen the call-taker completed, which intake then answers notify."""
    if identity is not None:
        answer = INTAKE_FILES[story.case_id]
        citizen = identity.model_dump(mode="json", exclude_none=True)
        INTAKE_FILES[story.case_id] = answer.model_copy(update={"citizen": citizen})
    payload = CaseClassified(
        case_id=story.case_id,
        reference="TO-2026-000042",
        occurred_at=T0 + timedelta(minutes=2),
        kind="reclamo",
        category="qualita_urbana",
        previous_category="decoro_pulizia",
        identity_completed=identity is not None,
    )
    return _published(
        payload, aggregate_id=story.case_id, version=2, organization=None,
        producer="intake", notification_id=50,
    )  # fmt: skip


def process(app: NotifyApplication, event: Published) -> None:
    """As the consumer runner does it: intake asked first (ConsumerSpec.personal_data)."""
    personal = intake_answer(event.envelope.subject, event.envelope.id)
    incoming = Incoming(event.envelope, parse_payload(event.envelope), personal=personal)
    app.process_incoming(incoming, event.tracking)


def of(app: NotifyApplication, story: CaseStory, template: str) -> list[Notification]:
    return [n for n in app.notifications_for(story.case_id) if n.template == template]


def test_after_classification_the_citizen_is_written_to_at_the_contact_given(
    app: NotifyApplication,
) -> None:
    story = case_story(email=None, phone="3331234567", channel="voicemail")
    process(app, story.received)
    [received] = of(app, story, "received")
    assert (received.channel, received.recipient) == (Channel.SMS, "3331234567")

    identity = Citizen(name="Mario Bianchi", email=NEW_EMAIL, phone="3331234567", language="en")
    process(app, classified(story, identity))
    case_file = app.get_case_file(story.case_id)
    assert (case_file.kind, case_file.category) == ("reclamo", "qualita_urbana")

    process(app, story.assigned)
    [assigned] = of(app, story, "assigned")
    assert assigned.audience is Audience.ORGANIZATION
    context = app.message_context(assigned)
    assert context["category"] == "Qualità urbana" and "reclamo" in context["kind"].lower()

    process(app, story.taken_in_charge)
    [taken] = of(app, story, "taken_in_charge")
    assert (taken.channel, taken.recipient, taken.language) == (Channel.EMAIL, NEW_EMAIL, "en")
    assert taken.context["citizen_name"] == "Mario Bianchi"


def test_a_classification_without_identity_keeps_the_contact(app: NotifyApplication) -> None:
    story = case_story()
    process(app, story.received)
    process(app, classified(story, None))
    process(app, story.taken_in_charge)
    [taken] = of(app, story, "taken_in_charge")
    assert taken.recipient == "maria.rossi@example.org" and taken.channel is Channel.EMAIL
    assert app.get_case_file(story.case_id).category == "qualita_urbana"
    again = classified(story, None)  # redelivered: nothing more is recorded
    before = app.get_case_file(story.case_id).version
    process(app, Published(again.subject, again.envelope, again.producer, 51))
    assert app.get_case_file(story.case_id).version == before
