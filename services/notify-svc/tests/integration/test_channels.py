"""SMS, webhooks, letters, quiet hours and resends, against a real HTTP receiver and SMTP server."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sportello_notify.adapters.delivery import Sender
from sportello_notify.adapters.dispatcher import Backoff, Dispatcher
from sportello_notify.adapters.http_channels import (
    SIGNATURE_HEADER,
    HttpSmsSender,
    SmsConfig,
    WebhookSender,
)
from sportello_notify.adapters.mailer import SmtpConfig, SmtpMailer
from sportello_notify.application import NotifyApplication
from sportello_notify.domain import (
    Channel,
    NotifyPolicy,
    Status,
    SurveyPolicy,
    Triggers,
    Webhook,
)
from sportello_shared.bus.leases import FileLockLease
from sportello_shared.writer import Writer

from .conftest import (
    OFFICE,
    CaseStory,
    Clock,
    HttpReceiver,
    SmtpServer,
    body_of,
    case_story,
    make_app,
    subject_of,
)
from .test_messages_asked import resumed, waiting

FAST = Backoff(max_attempts=3, base=0.01, cap=0.05)
PHONE = "+39 333 1234567"
SECRET = "a-shared-secret"
HOOK = Webhook(url="http://127.0.0.1:1/replaced-per-test", secret_env="NOTIFY_TEST_HOOK_SECRET")
CITIZEN_ONLY = Triggers(assigned=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def policy() -> NotifyPolicy:
    return NotifyPolicy(triggers=CITIZEN_ONLY, survey=SurveyPolicy(enabled=False))


@pytest.fixture
def app(store: dict[str, str], clock: Clock, policy: NotifyPolicy) -> Iterator[NotifyApplication]:
    application = make_app(store, clock, policies={"torino": policy})
    yield application
    application.close()


@pytest.fixture
async def writer() -> AsyncIterator[Writer]:
    writer = Writer("test")
    yield writer
    writer.shutdown()


@pytest.fixture
def senders(mail_sink: SmtpServer, http_receiver: HttpReceiver) -> dict[Channel, Sender]:
    return {
        Channel.EMAIL: SmtpMailer(SmtpConfig(port=mail_sink.port, timeout=5)),
        Channel.SMS: HttpSmsSender(SmsConfig(endpoint=http_receiver.url("/sms"), token="tok")),
        Channel.WEBHOOK: WebhookSender(lambda tenant, org: SECRET if org == OFFICE else None),
    }


@pytest.fixture
def dispatch(
    app: NotifyApplication, writer: Writer, senders: dict[Channel, Sender], tmp_path: Path
) -> Callable[[], Awaitable[None]]:
    """Runs a freshly started dispatcher (as after a restart) until the log is done."""

    async def run() -> None:
        dispatcher = Dispatcher(
            app, writer, senders, FileLockLease(tmp_path / "dispatch.lock"), backoff=FAST
        )
        while await dispatcher.follow_once():
            pass

    return run


def live(app: NotifyApplication, story: CaseStory, count: int = 4) -> None:
    for event in story.events[:count]:
        app.process_incoming(event.incoming, event.tracking)


async def test_an_sms_is_retried_on_a_5xx_with_the_same_idempotency_key(
    app: NotifyApplication, dispatch: Callable[[], Awaitable[None]], http_receiver: HttpReceiver
) -> None:
    http_receiver.statuses = [503]
    story = case_story(email=None, phone=PHONE)
    live(app, story, count=3)
    await dispatch()

    received, taken = app.notifications_for(story.case_id)
    assert (received.status, taken.status) == (Status.SENT, Status.SENT)
    assert [a.outcome for a in received.attempts] == ["temporary_failure", "accepted"]
    assert received.provider_reply == '202 {"id": "msg-2"}'
    first, retry, second = http_receiver.requests
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"] == str(received.id)
    assert first.headers["Authorization"] == "Bearer tok"
    assert retry.json["to"] == PHONE and retry.json["reference"] == str(received.id)
    assert "TO-2026-000042" in retry.json["text"] and "registrata" in retry.json["text"]
    assert "presa in carico" in second.json["text"]


async def test_an_sms_refused_with_a_4xx_fails_and_the_urp_is_mailed(
    app: NotifyApplication,
    dispatch: Callable[[], Awaitable[None]],
    http_receiver: HttpReceiver,
    mail_sink: SmtpServer,
) -> None:
    http_receiver.statuses = [400]
    story = case_story(email=None, phone=PHONE)
    live(app, story, count=1)
    await dispatch()

    failed, alert = app.notifications_for(story.case_id)
    assert failed.status is Status.FAILED and len(failed.attempts) == 1
    assert failed.failure_reason is not None and failed.failure_reason.startswith("400")
    assert alert.status is Status.SENT
    (mail,) = mail_sink.mails()
    assert mail["To"] == "contactcenterpm@comune.torino.it"
    assert subject_of(mail).endswith("TO-2026-000042: messaggio al cittadino non recapitato")
    assert "(SMS)" in body_of(mail) and "Motivo: il servizio di invio ha rifiutato" in body_of(mail)
    assert "400" not in body_of(mail)  # the provider's reply: logs and ops API, not the inbox
    assert PHONE not in body_of(mail)


async def test_no_sms_at_night_the_held_one_goes_in_the_morning_even_after_a_restart(
    app: NotifyApplication,
    clock: Clock,
    dispatch: Callable[[], Awaitable[None]],
    http_receiver: HttpReceiver,
) -> None:
    story = case_story(email=None, phone=PHONE)
    live(app, story, count=1)
    clock.now = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 23:30 in Torino
    await dispatch()

    (held,) = app.notifications_for(story.case_id)
    assert held.status is Status.REQUESTED
    assert held.postponed_until == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 8:00 in Torino
    assert http_receiver.requests == []

    clock.now = datetime(2026, 3, 3, 6, 59, tzinfo=UTC)
    await dispatch()  # restarted before the morning: still nothing
    assert http_receiver.requests == []

    clock.now = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    await dispatch()  # restarted again: the schedule is rebuilt from the log
    assert len(http_receiver.requests) == 1
    assert app.notifications_for(story.case_id)[0].status is Status.SENT
    await dispatch()
    assert len(http_receiver.requests) == 1


@pytest.mark.parametrize(
    "policy",
    [NotifyPolicy(triggers=Triggers(received=False), survey=SurveyPolicy(enabled=False))],
)
async def test_an_organization_gets_its_new_case_by_mail_and_signed_webhook(
    app: NotifyApplication,
    dispatch: Callable[[], Awaitable[None]],
    http_receiver: HttpReceiver,
    mail_sink: SmtpServer,
) -> None:
    app.policies["torino"] = app.tenant_policy("torino").model_copy(
        update={"webhooks": {OFFICE: HOOK.model_copy(update={"url": http_receiver.url("/hook")})}}
    )
    story = case_story()
    live(app, story, count=2)
    await dispatch()

    (mail,) = mail_sink.mails()
    assert mail["To"] == "pm-reparto-5@torino.sportello.example"
    assert subject_of(mail) == "Comune di Torino - Nuova pratica TO-2026-000042 (segnalazione)"
    assert "Spettabile Corpo di Polizia Municipale \u2013 Reparto 5," in body_of(mail)
    assert "Cassonetti traboccanti in via Roma" in body_of(mail)
    (hook,) = http_receiver.requests
    assert hook.path == "/hook"
    expected = "sha256=" + hmac.new(SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook.headers[SIGNATURE_HEADER], expected)
    assert hook.json["template"] == "assigned" and hook.json["organization"] == OFFICE
    assert hook.json["case_id"] == story.case_id and "TO-2026-000042" in hook.json["subject"]


async def test_a_resend_goes_out_again_with_its_own_message_id(
    app: NotifyApplication, dispatch: Callable[[], Awaitable[None]], mail_sink: SmtpServer
) -> None:
    story = case_story()
    live(app, story, count=3)
    await dispatch()
    received, taken = app.notifications_for(story.case_id)
    app.resend(taken.id, "anna", "the citizen says it never arrived")
    await dispatch()
    await dispatch()  # and never a third time

    ids = [m["Message-ID"] for m in mail_sink.mails()]
    assert ids == [
        f"<{received.id}@sportello>",
        f"<{taken.id}@sportello>",
        f"<{taken.id}.2@sportello>",
    ]
    resent = app.get_notification(taken.id)
    assert resent.status is Status.SENT and resent.delivery == 2
    assert [a.delivery for a in resent.attempts] == [1, 2]


async def test_letters_are_left_to_the_office(
    app: NotifyApplication,
    dispatch: Callable[[], Awaitable[None]],
    mail_sink: SmtpServer,
    http_receiver: HttpReceiver,
) -> None:
    story = case_story(email=None, address="via Roma 1, 10121 Torino")
    live(app, story)
    await dispatch()
    assert mail_sink.mails() == [] and http_receiver.requests == []
    letters = app.pending_letters("torino")
    assert [n.template for n in letters] == ["received", "taken_in_charge", "closed"]
    assert all(n.status is Status.REQUESTED for n in letters)


async def test_the_reminder_goes_when_due_under_the_comunes_name_unless_the_citizen_answered(
    app: NotifyApplication,
    clock: Clock,
    dispatch: Callable[[], Awaitable[None]],
    mail_sink: SmtpServer,
) -> None:
    answered, silent = case_story(), case_story(first_notification_id=20)
    for story, n in ((answered, 10), (silent, 30)):
        live(app, story, count=3)
        app.process_incoming(waiting(story, n).incoming, waiting(story, n).tracking)
    app.process_incoming(resumed(answered, 11).incoming, resumed(answered, 11).tracking)
    await dispatch()
    subjects = sorted(subject_of(m) for m in mail_sink.mails())
    assert sum("le chiediamo alcune informazioni" in s for s in subjects) == 2
    assert not any("Promemoria" in s for s in subjects)
    assert {m["From"] for m in mail_sink.mails()} == {
        "Comune di Torino <noreply@sportello.example>"
    }

    clock.now = datetime(2026, 3, 27, 9, 41, tzinfo=UTC)  # 25 days after the request
    await dispatch()  # a restarted dispatcher: the reminders' days are read back from the log
    reminders = [m for m in mail_sink.mails() if "Promemoria" in subject_of(m)]
    assert len(reminders) == 1 and "entro il 01/04/2026" in subject_of(reminders[0])
    (withdrawn,) = [
        n for n in app.notifications_for(answered.case_id) if n.template == "waiting_reminder"
    ]
    assert withdrawn.status is Status.WITHDRAWN
