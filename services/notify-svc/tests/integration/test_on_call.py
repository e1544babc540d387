"""Marcallo's urgent line at night: the on-call rota is paged by SMS (a real HTTP receiver as the
provider), the next number after `escalate_after_minutes` without an acknowledgment, nobody after
one. The real tenant files (deploy/tenants/marcallo), a real store, the real dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sportello_notify.adapters.delivery import Sender
from sportello_notify.adapters.dispatcher import Backoff, Dispatcher
from sportello_notify.adapters.http_channels import HttpSmsSender, SmsConfig
from sportello_notify.adapters.mailer import SmtpConfig, SmtpMailer
from sportello_notify.application import NotifyApplication
from sportello_notify.domain import AlreadyAcknowledged, Audience, Channel, NoAlert, Status
from sportello_shared.bus.leases import FileLockLease
from sportello_shared.writer import Writer

from .conftest import (
    EMAIL,
    CaseStory,
    Clock,
    HttpReceiver,
    SmtpServer,
    body_of,
    case_story,
    make_app,
)

# Tuesday 3 March 2026, 03:10 in Marcallo (CET): the offices are closed, the town floods.
NIGHT = datetime(2026, 3, 3, 2, 10, tzinfo=UTC)
# Tuesday 10:00 in Marcallo: the offices are in (notify.yaml's on_call.office_hours).
DAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
ROTA = ["+39 331 0000001", "+39 331 0000002", "+39 331 0000003"]
FAST = Backoff(max_attempts=3, base=0.01, cap=0.05)


@pytest.fixture
def clock() -> Clock:
    return Clock(NIGHT + timedelta(minutes=1))


@pytest.fixture
def app(store: dict[str, str], clock: Clock) -> Iterator[NotifyApplication]:
    application = make_app(store, clock)  # every tenant's notify.yaml, as deployed
    yield application
    application.close()


@pytest.fixture
async def dispatch(
    app: NotifyApplication,
    clock: Clock,
    http_receiver: HttpReceiver,
    mail_sink: SmtpServer,
    tmp_path: Path,
) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    writer = Writer("test")
    senders: dict[Channel, Sender] = {
        Channel.EMAIL: SmtpMailer(SmtpConfig(port=mail_sink.port, timeout=5)),
        Channel.SMS: HttpSmsSender(SmsConfig(endpoint=http_receiver.url("/sms"), token="tok")),
    }

    async def run() -> None:
        lease = FileLockLease(tmp_path / "dispatch.lock")
        dispatcher = Dispatcher(app, writer, senders, lease, backoff=FAST, clock=clock)
        while await dispatcher.follow_once():
            pass

    yield run
    writer.shutdown()


def flood(at: datetime) -> CaseStory:
    return case_story(tenant="marcallo", at=at, category="allagamenti", office="ufficio-tecnico")


def paged(receiver: HttpReceiver) -> list[str]:
    return [r.json["to"] for r in receiver.requests if r.path == "/sms"]


async def test_an_urgent_report_at_night_pages_the_rota_in_order_until_acknowledged(
    app: NotifyApplication,
    clock: Clock,
    dispatch: Callable[[], Awaitable[None]],
    http_receiver: HttpReceiver,
    mail_sink: SmtpServer,
) -> None:
    story = flood(NIGHT)
    for event in (story.received, story.assigned):
        app.process_incoming(event.incoming, event.tracking)
    await dispatch()

    # the first of the rota at once, quiet hours or not
    assert paged(http_receiver) == ROTA[:1]
    text = http_receiver.requests[0].json["text"]
    assert text.startswith("Comune di Marcallo con Casone URGENTE TO-2026-000042: Allagamenti")
    assert "entro 15 min" in text and "Responsabile dell'Ufficio Tecnico" in text

    # nobody answers within 15 minutes: the next one; not before
    clock.now = NIGHT + timedelta(minutes=15)
    assert app.escalate_on_call() == []
    clock.now = NIGHT + timedelta(minutes=16, seconds=1)
    assert len(app.escalate_on_call()) == 1
    assert app.escalate_on_call() == []  # the second was just paged: their 15 minutes start now
    await dispatch()
    assert paged(http_receiver) == ROTA[:2]

    # the second acknowledges as themselves: nobody else is woken up
    alert = app.acknowledge_on_call(story.case_id, "ufficio.tecnico@marcallo")
    assert (alert.acknowledged_by, alert.acknowledged_at) == ("ufficio.tecnico@marcallo", clock.now)
    assert (
        app.acknowledge_on_call(story.case_id, "ufficio.tecnico@marcallo").version == alert.version
    )
    with pytest.raises(AlreadyAcknowledged):
        app.acknowledge_on_call(story.case_id, "someone.else")
    clock.now = NIGHT + timedelta(hours=2)
    assert app.escalate_on_call() == []
    await dispatch()
    assert paged(http_receiver) == ROTA[:2]

    pages = [n for n in app.notifications_for(story.case_id) if n.audience is Audience.ON_CALL]
    assert [(n.channel, n.status) for n in pages] == [(Channel.SMS, Status.SENT)] * 2
    # the citizen's acknowledgment said what happens next
    (received,) = [n for n in app.notifications_for(story.case_id) if n.template == "received"]
    assert received.context["urgent_next"] == "on_call"
    (mail,) = [m for m in mail_sink.mails() if m["To"] == EMAIL]
    assert "il personale reperibile è stato avvisato ora" in body_of(mail)


async def test_an_unanswered_rota_is_exhausted_after_the_last_number(
    app: NotifyApplication,
    clock: Clock,
    dispatch: Callable[[], Awaitable[None]],
    http_receiver: HttpReceiver,
    mail_sink: SmtpServer,
) -> None:
    story = flood(NIGHT)
    for event in (story.received, story.assigned):
        app.process_incoming(event.incoming, event.tracking)
    for minutes in (16, 32, 48, 64, 80):
        clock.now = NIGHT + timedelta(minutes=minutes)
        app.escalate_on_call()
    await dispatch()
    assert paged(http_receiver) == ROTA
    alert = app.on_call_alert(story.case_id)
    # given up 15 minutes after the third page
    assert not alert.waiting and alert.exhausted_at == NIGHT + timedelta(minutes=48)
    # nobody answered: the URP is mailed once, to act on the case itself
    app.escalate_on_call()
    await dispatch()
    (urp,) = [m for m in mail_sink.mails() if m["To"] == "urp@marcallo.sportello.example"]
    assert "nessuno dei reperibili ha confermato" in body_of(urp)
    assert "Come contattare il cittadino" in body_of(urp)


async def test_in_office_hours_or_for_a_non_urgent_case_nobody_is_paged(
    app: NotifyApplication,
    clock: Clock,
    dispatch: Callable[[], Awaitable[None]],
    http_receiver: HttpReceiver,
) -> None:
    clock.now = DAY + timedelta(minutes=1)
    by_day = flood(DAY)
    information_at_night = case_story(
        tenant="marcallo",
        at=NIGHT,
        category="informazioni_comunali",
        office="urp",
        first_notification_id=10,
    )
    for story in (by_day, information_at_night):
        for event in (story.received, story.assigned):
            app.process_incoming(event.incoming, event.tracking)
    await dispatch()
    assert paged(http_receiver) == []
    urgent_next = {
        n.case_id: n.context["urgent_next"]
        for story in (by_day, information_at_night)
        for n in app.notifications_for(story.case_id)
        if n.template == "received"
    }
    assert urgent_next == {by_day.case_id: "office", information_at_night.case_id: ""}
    for story in (by_day, information_at_night):
        with pytest.raises(NoAlert):
            app.on_call_alert(story.case_id)


# Christmas 2026, a Friday, 10:00 in Marcallo: office hours by the clock, but a public holiday.
CHRISTMAS_MORNING = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)


async def test_on_a_public_holiday_the_whole_day_is_out_of_office_hours(
    app: NotifyApplication,
    clock: Clock,
    dispatch: Callable[[], Awaitable[None]],
    http_receiver: HttpReceiver,
) -> None:
    clock.now = CHRISTMAS_MORNING + timedelta(minutes=1)
    story = flood(CHRISTMAS_MORNING)
    for event in (story.received, story.assigned):
        app.process_incoming(event.incoming, event.tracking)
    await dispatch()
    assert paged(http_receiver) == ROTA[:1]
    assert app.on_call_alert(story.case_id).waiting
    (received,) = [n for n in app.notifications_for(story.case_id) if n.template == "received"]
    assert received.context["urgent_next"] == "on_call"
