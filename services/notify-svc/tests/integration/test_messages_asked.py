"""The messages issue 26 asked for, on SQLite and PostgreSQL: the citizen asked (and reminded)
when the office waits for them, a case nobody took, what urgent and breach mails carry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid5

import pytest
from sportello_contracts import EventPayload
from sportello_contracts.cases import (
    CaseReceived,
    CaseResumed,
    CaseRoutingFailed,
    CaseWaitingForCitizen,
    Location,
    text_facts,
)
from sportello_contracts.sla import SlaBreached
from sportello_notify.application import NotifyApplication
from sportello_notify.domain import Audience, Notification, Status

from .conftest import (
    INTAKE_FILES,
    NOW,
    OFFICE,
    T0,
    CaseStory,
    Clock,
    Published,
    _published,
    case_story,
    make_app,
    sla_event,
)

ASKED = "Una fotografia del cassonetto e il numero civico più vicino."


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(store: dict[str, str], clock: Clock) -> Iterator[NotifyApplication]:
    application = make_app(store, clock)
    yield application
    application.close()


def case_event(
    story: CaseStory, payload: EventPayload, version: int, n: int, text: str | None = None
) -> Published:
    return _published(
        payload,
        aggregate_id=story.case_id,
        version=version,
        organization=OFFICE,
        producer="intake",
        notification_id=n,
        tenant=story.received.envelope.tenant,
        at=T0 + timedelta(minutes=40),
        text=text,
    )


def waiting(story: CaseStory, n: int = 10) -> Published:
    payload = CaseWaitingForCitizen(
        case_id=story.case_id,
        reference="TO-2026-000042",
        occurred_at=T0 + timedelta(minutes=40),
        **text_facts("request", ASKED),
    )
    return case_event(story, payload, version=4, n=n, text=ASKED)


def resumed(story: CaseStory, n: int = 11) -> Published:
    payload = CaseResumed(
        case_id=story.case_id, reference="TO-2026-000042", occurred_at=T0 + timedelta(days=3)
    )
    return case_event(story, payload, version=5, n=n)


def process(app: NotifyApplication, *events: Published) -> None:
    for event in events:
        app.process_incoming(event.incoming, event.tracking)


def of(app: NotifyApplication, story: CaseStory, template: str) -> list[Notification]:
    return [n for n in app.notifications_for(story.case_id) if n.template == template]


def test_the_citizen_is_asked_what_how_and_by_when_and_reminded_before_the_pause_ends(
    app: NotifyApplication,
) -> None:
    story = case_story()
    process(app, story.received, story.assigned, story.taken_in_charge, waiting(story))

    (asked,) = of(app, story, "waiting_for_citizen")
    assert asked.audience is Audience.CITIZEN and asked.context["request"] == ASKED
    # torino's sla.yaml: the pause lasts at most 30 days; 40 minutes after T0, in Rome
    assert asked.context["reply_by"] == "01/04/2026"
    assert app.hold_until(asked, NOW) is None  # goes now
    (reminder,) = of(app, story, "waiting_reminder")
    due = T0 + timedelta(minutes=40, days=30 - 5)  # notify.yaml default: 5 days before
    assert reminder.postponed_until == due
    assert app.hold_until(reminder, NOW) == due
    assert app.withdrawal_reason(reminder) is None  # still waiting: it will go when due


def test_a_reminder_is_withdrawn_when_the_citizen_answered_first(app: NotifyApplication) -> None:
    story = case_story()
    process(app, story.received, story.assigned, story.taken_in_charge, waiting(story))
    process(app, resumed(story))

    (reminder,) = of(app, story, "waiting_reminder")
    reason = app.withdrawal_reason(reminder)
    assert reason == "the office no longer waits for the citizen"
    withdrawn = app.withdraw(reminder.id, reason, NOW)
    assert withdrawn.status is Status.WITHDRAWN
    assert app.get_notification(reminder.id).status is Status.WITHDRAWN


def test_a_case_nobody_took_alerts_the_urp_and_tells_the_citizen_it_is_looked_at(
    app: NotifyApplication,
) -> None:
    story = case_story(phone="+39 333 1234567")
    failed = CaseRoutingFailed(
        case_id=story.case_id,
        reference="TO-2026-000042",
        occurred_at=T0 + timedelta(minutes=5),
        reason="no competent organization left after pm-reparto-5 declined",
        triage_organization="contact-center",
    )
    event = _published(
        failed,
        aggregate_id=uuid5(UUID(int=1), story.case_id),
        version=2,
        organization="contact-center",
        producer="routing",
        notification_id=2,
    )
    process(app, story.received, event)

    (alert,) = of(app, story, "routing_failed")
    assert (alert.audience, alert.organization) == (Audience.URP, "contact-center")
    assert alert.recipient == "contactcenterpm@comune.torino.it"
    assert "Telefono: +39 333 1234567" in alert.context["citizen_contact"]
    assert "pm-reparto-5" not in " ".join(alert.context.values())  # the reason goes to the log
    (told,) = of(app, story, "under_review")
    assert told.audience is Audience.CITIZEN and told.recipient == "maria.rossi@example.org"


def test_an_urgent_case_reaches_its_office_with_the_place_and_the_citizens_contact(
    app: NotifyApplication,
) -> None:
    story = case_story(tenant="marcallo", phone="+39 333 1234567")
    received = story.received.incoming.payload
    assert isinstance(received, CaseReceived)
    urgent = received.model_copy(update={"category": "allagamenti", "has_location": True})
    INTAKE_FILES[story.case_id] = INTAKE_FILES[story.case_id].model_copy(
        update={"location": Location(address="via Roma 3")}
    )
    story = replace(story, received=_republished(story.received, urgent))
    assigned = story.assigned.incoming.payload
    moved = assigned.model_copy(update={"organization": "ufficio-tecnico"})
    assignment = _published(
        moved,
        aggregate_id=uuid5(UUID(int=1), story.case_id),
        version=1,
        organization="ufficio-tecnico",
        producer="routing",
        notification_id=1,
        tenant="marcallo",
    )
    process(app, story.received, assignment)

    (mail,) = of(app, story, "assigned")
    assert mail.context["urgent"] == "yes" and mail.context["location"] == "via Roma 3"
    assert "Telefono: +39 333 1234567" in mail.context["citizen_contact"]


def test_a_breach_names_the_standard_and_carries_the_citizens_contact(
    app: NotifyApplication,
) -> None:
    story = case_story()
    process(app, story.received, story.assigned, story.taken_in_charge)
    breach = sla_event(story, SlaBreached, notification_id=3)
    payload = breach.incoming.payload.model_copy(update={"standard": "first_contact_5wd"})
    process(
        app,
        replace(
            breach,
            envelope=breach.envelope.model_copy(update={"data": payload.model_dump(mode="json")}),
        ),
    )

    mails = of(app, story, "sla_breached")
    assert {m.audience for m in mails} == {Audience.ORGANIZATION, Audience.URP}
    for mail in mails:
        assert (
            mail.context["standard"] == "Primo contatto con il cittadino entro 5 giorni lavorativi"
        )
        assert "E-mail: maria.rossi@example.org" in mail.context["citizen_contact"]
    assert {m.context["addressee"] for m in mails} == {
        "Corpo di Polizia Municipale \u2013 Reparto 5",
        "Contact Center \u2013 Corpo di Polizia Municipale",
    }


def _republished(event: Published, payload: EventPayload) -> Published:
    return _published(
        payload,
        aggregate_id=event.envelope.subject,
        version=1,
        organization=None,
        producer=event.producer,
        notification_id=event.notification_id,
        tenant=event.envelope.tenant,
    )


def test_a_late_entry_whose_deadline_passed_before_registration_alarms_nobody(
    app: NotifyApplication,
) -> None:
    story = case_story()
    received = story.received.incoming.payload
    assert isinstance(received, CaseReceived)
    typed_in_late = received.model_copy(update={"registered_at": T0 + timedelta(days=60)})
    process(app, _republished(story.received, typed_in_late), story.assigned)
    process(app, sla_event(story, SlaBreached, notification_id=3))  # deadline T0 + 30 days

    assert of(app, story, "sla_breached") == []
    (skipped,) = app.get_case_file(story.case_id).skipped
    assert skipped.template == "sla_breached" and "late entry" in skipped.reason
