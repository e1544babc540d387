"""notify-svc as it runs: real NATS, a real SMTP server, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_contracts import CloudEvent
from sportello_contracts.sla import SlaBreached
from sportello_devstack.issuer import DevIssuer
from sportello_notify.adapters.dispatcher import DISPATCH_POSITION
from sportello_notify.main import build

from .conftest import (
    EMAIL,
    OUTCOME,
    CaseStory,
    Refusing,
    SmtpServer,
    body_of,
    case_story,
    eventually,
    notify_settings,
    publish,
    sla_event,
    start_smtp,
    subject_of,
)

AppFactory = Callable[[int], Any]


def fresh_story(**kwargs: Any) -> CaseStory:
    """Events recorded just now: the service runs on the real clock (NOTIFY_MAX_EVENT_AGE)."""
    return case_story(at=datetime.now(UTC) - timedelta(minutes=1), **kwargs)


def citizens_mails(server: SmtpServer) -> list[Any]:
    return [m for m in server.mails() if m["To"] == EMAIL]


@pytest.fixture
async def service(
    store: dict[str, str],
    nats_url: str,
    intake_answers: list[str],  # noqa: ARG001 - the events name no citizen: intake answers
) -> AsyncIterator[Callable[[int], Any]]:
    """Starts notify-svc against an SMTP server's port; stops it at the end of the test."""
    started: list[Any] = []

    async def start(smtp_port: int) -> FastAPI:
        settings = notify_settings(
            store,
            NATS_URL=nats_url,
            SMTP_PORT=smtp_port,
            RELAY_POLL_INTERVAL=0.05,
            DISPATCH_POLL_INTERVAL=0.1,
            SMTP_MAX_ATTEMPTS=3,
            SMTP_RETRY_BASE=0.01,
        )
        application = build(settings)
        lifespan = application.router.lifespan_context(application)
        await lifespan.__aenter__()
        started.append(lifespan)
        return application

    yield start
    for lifespan in reversed(started):
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(servers=[nats_url])
    yield nc.jetstream()
    await nc.close()


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify")


async def notifications(client: httpx.AsyncClient, story: CaseStory) -> list[dict[str, Any]]:
    response = await client.get(f"/cases/{story.case_id}/notifications")
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def published_notifications(js: JetStreamContext) -> list[tuple[str, CloudEvent]]:
    info = await js.stream_info("NOTIFICATIONS")
    messages = [await js.get_msg("NOTIFICATIONS", seq=s) for s in range(1, info.state.messages + 1)]
    return [(m.subject or "", CloudEvent.from_bytes(m.data)) for m in messages if m.data]


async def drained(js: JetStreamContext) -> bool:
    info = await js.consumer_info("CASES", "notify")
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)


async def test_each_step_mails_the_citizen_and_the_office_once(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer, intake_answers: list[str]
) -> None:
    """The events carry no contact and no outcome: notify asks intake (as `notify`) for them."""
    app = await service(mail_sink.port)
    story = fresh_story()
    for event in story.events:
        await publish(js, event)

    await eventually(lambda: len(mail_sink.mails()) == 4)
    mails = citizens_mails(mail_sink)
    assert [subject_of(m).split(" - ")[1] for m in mails] == [
        "La sua segnalazione TO-2026-000042 è stata ricevuta",
        "La sua segnalazione TO-2026-000042 è stata presa in carico",
        "La sua segnalazione TO-2026-000042 è stata chiusa",
    ]
    assert OUTCOME in body_of(mails[2]) and "/torino/valutazione/" in body_of(mails[2])
    assert set(intake_answers) == {"personal.torino.notify"}
    assert all(EMAIL not in e.envelope.to_bytes().decode() for e in story.events)
    (office,) = [m for m in mail_sink.mails() if m["To"] != EMAIL]
    assert office["To"] == "pm-reparto-5@torino.sportello.example"

    async with client_for(app) as client:
        await eventually(
            lambda: _all_sent(client, story, 4)  # marked sent once the server accepted
        )
        listed = await notifications(client, story)
    assert [n["template"] for n in listed] == [
        "received",
        "assigned",
        "taken_in_charge",
        "closed",
    ]
    assert all(n["attempts"] == 1 for n in listed)
    assert all(n["provider_reply"] == "250 Message accepted for delivery" for n in listed)
    assert all("recipient" not in n and EMAIL not in str(n) for n in listed)
    assert listed[2]["attempt_log"][0]["outcome"] == "accepted"
    message_ids = {f"<{n['notification_id']}@sportello>" for n in listed}
    assert {m["Message-ID"] for m in mail_sink.mails()} == message_ids

    async def four_published() -> bool:
        return len(await published_notifications(js)) == 4

    await eventually(four_published)
    for subject, event in await published_notifications(js):
        assert subject == "notifications.torino.sent"
        assert event.type == "it.sportello.notification.sent.v1"
        assert event.subject == story.case_id
        assert EMAIL not in event.to_bytes().decode()


async def test_a_citizen_who_wrote_by_e_mail_gets_replies_to_their_message(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    """Intake answers the Message-ID of the citizen's e-mail (never on the stream): every mail to
    the citizen answers it, so it lands in their conversation; the office's mail answers nothing."""
    await service(mail_sink.port)
    original = "<lampione.12@posta.example.org>"
    story = fresh_story(channel="email", in_reply_to=original)
    for event in story.events:
        await publish(js, event)

    await eventually(lambda: len(mail_sink.mails()) == 4)
    mails = citizens_mails(mail_sink)
    assert len(mails) == 3
    assert all(m["In-Reply-To"] == original and m["References"] == original for m in mails)
    assert all("TO-2026-000042" in subject_of(m) for m in mails)  # the reference, as before
    (office,) = [m for m in mail_sink.mails() if m["To"] != EMAIL]
    assert office["In-Reply-To"] is None and office["References"] is None
    assert all(original not in e.envelope.to_bytes().decode() for e in story.events)


async def test_a_citizen_who_did_not_write_by_mail_gets_no_reply_headers(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    await service(mail_sink.port)
    story = fresh_story()
    await publish(js, story.received)
    await eventually(lambda: len(mail_sink.mails()) == 1)
    [mail] = mail_sink.mails()
    assert mail["In-Reply-To"] is None and mail["References"] is None


async def _all_sent(client: httpx.AsyncClient, story: CaseStory, count: int) -> bool:
    listed = await notifications(client, story)
    return len(listed) == count and all(n["status"] == "sent" for n in listed)


async def test_the_same_events_published_again_send_no_more_mail(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    app = await service(mail_sink.port)
    story = fresh_story()
    for event in story.events:
        await publish(js, event)
    async with client_for(app) as client:
        await eventually(lambda: _all_sent(client, story, 4))

    for event in story.events:
        await publish(js, event)  # within the duplicate window: JetStream drops them
        await publish(js, event, msg_id=f"republished:{event.envelope.id}")  # past it
    assert (await js.stream_info("CASES")).state.messages == 8

    await eventually(lambda: drained(js))
    runtime = app.state.runtime
    await eventually(
        lambda: (
            runtime.app.recorder.max_tracking_id(DISPATCH_POSITION)
            == runtime.app.recorder.max_notification_id()
        )
    )
    assert len(mail_sink.mails()) == 4
    async with client_for(app) as client:
        assert len(await notifications(client, story)) == 4


async def test_events_that_overtake_received_wait_for_it(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    await service(mail_sink.port)
    story = fresh_story(language="en")
    for event in (story.taken_in_charge, story.assigned, story.received, story.closed):
        await publish(js, event)

    await eventually(lambda: len(citizens_mails(mail_sink)) == 3, timeout=20)
    subjects = sorted(subject_of(m) for m in citizens_mails(mail_sink))
    assert subjects == [
        "Comune di Torino - Your report TO-2026-000042 has been closed",
        "Comune di Torino - Your report TO-2026-000042 has been received",
        "Comune di Torino - Your report TO-2026-000042 is being handled",
    ]


async def test_a_5xx_refusal_fails_the_notification_and_publishes_that(
    service: AppFactory, js: JetStreamContext, tmp_path: Path
) -> None:
    refusing = Refusing("550 5.1.1 Mailbox unavailable")
    server, controller = start_smtp(refusing, tmp_path / "refused")
    try:
        app = await service(server.port)
        story = fresh_story(tenant="pisa", channel="phone")  # no acknowledgment, no office mail
        for event in (story.received, story.taken_in_charge):
            await publish(js, event)

        async with client_for(app) as client:

            async def failed() -> bool:
                listed = await notifications(client, story)
                return len(listed) == 2 and all(n["status"] == "failed" for n in listed)

            await eventually(failed)
            notification, alert = await notifications(client, story)
    finally:
        controller.stop()

    assert notification["attempts"] == 1 and refusing.calls == 2
    assert alert["template"] == "delivery_failed" and alert["audience"] == "urp"
    assert notification["provider_reply"] is None
    assert "550" in notification["failure_reason"]
    assert server.mails() == []

    async def two_published() -> bool:
        return len(await published_notifications(js)) == 2

    await eventually(two_published)
    (subject, event), _ = await published_notifications(js)
    assert subject == "notifications.pisa.failed"
    assert event.data["reason"] == notification["failure_reason"]


async def test_ops_endpoints_and_unknown_cases(service: AppFactory, mail_sink: SmtpServer) -> None:
    app = await service(mail_sink.port)
    async with client_for(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        missing = await client.get("/cases/00000000-0000-0000-0000-000000000000/notifications")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert "sportello_notify_deliveries_total" in (await client.get("/metrics")).text


async def test_an_operator_resends_a_message_and_the_resend_is_audited(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    app = await service(mail_sink.port)
    story = fresh_story(tenant="pisa", channel="phone")
    for event in (story.received, story.taken_in_charge):
        await publish(js, event)
    async with client_for(app) as client:
        await eventually(lambda: _all_sent(client, story, 1))
        (taken,) = await notifications(client, story)
        url = f"/notifications/{taken['notification_id']}/resend"

        refused = await client.post(url, json={"actor": "sara"})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == "reason"

        resent = await client.post(url, json={"actor": "sara", "reason": "never arrived"})
        assert resent.status_code == 202, resent.text
        assert resent.json()["delivery"] == 2
        await eventually(lambda: len(mail_sink.mails()) == 2)
        shown = (await client.get(f"/notifications/{taken['notification_id']}")).json()
    assert [m["Message-ID"] for m in mail_sink.mails()] == [
        f"<{taken['notification_id']}@sportello>",
        f"<{taken['notification_id']}.2@sportello>",
    ]
    # the actor is the token's subject (without an issuer: the developer), not the body's
    assert [(r["actor"], r["reason"]) for r in shown["resends"]] == [("developer", "never arrived")]


async def test_templates_are_previewed_per_tenant_and_language(
    service: AppFactory, mail_sink: SmtpServer
) -> None:
    app = await service(mail_sink.port)
    async with client_for(app) as client:
        english = await client.get(
            "/templates/closed/preview", params={"tenant": "casale-monferrato", "lang": "en"}
        )
        assert english.status_code == 200, english.text
        preview = english.json()
        assert preview["subject"].endswith("Your report CM-2026-000123 has been closed")
        assert "Rate it from 1 to 5" in preview["body"]
        sms = await client.get(
            "/templates/taken_in_charge/preview", params={"tenant": "pisa", "channel": "sms"}
        )
        assert "presa in carico" in sms.json()["body"] and sms.json()["subject"] == ""

        unknown_tenant = await client.get("/templates/closed/preview", params={"tenant": "roma"})
        assert unknown_tenant.status_code == 422
        assert unknown_tenant.json()["errors"][0]["field"] == "query.tenant"
        unknown = await client.get("/templates/nonexistent/preview", params={"tenant": "pisa"})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "path.name"
        no_sms = await client.get(
            "/templates/assigned/preview", params={"tenant": "pisa", "channel": "sms"}
        )
        assert no_sms.status_code == 404


async def test_the_citizen_rates_the_case_once_and_the_office_sees_it(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    app = await service(mail_sink.port)
    story = fresh_story(tenant="pisa")
    for event in story.events:
        await publish(js, event)
    await eventually(lambda: any("chiusa" in subject_of(m) for m in citizens_mails(mail_sink)))
    closing = next(m for m in citizens_mails(mail_sink) if "chiusa" in subject_of(m))
    link = next(line for line in body_of(closing).splitlines() if "/valutazione/" in line)
    assert link.startswith("http://127.0.0.1:8005/pisa/valutazione/")  # the public site's page
    token = link.rsplit("/", 1)[1]

    async with client_for(app) as client:
        before = (await client.get(f"/surveys/{token}")).json()
        assert (before["state"], before["tenant"], before["rating"]) == ("open", "pisa", None)
        bad = await client.post(f"/surveys/{token}", json={"rating": 7})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rating"
        answer = {"rating": 5, "comment": "Grazie", "reasons": ["tempi_rapidi"]}
        answered = await client.post(f"/surveys/{token}", json=answer)
        assert answered.status_code == 201, answered.text
        again = await client.post(f"/surveys/{token}", json={"rating": 1})
        assert again.status_code == 409
        after = (await client.get(f"/surveys/{token}")).json()
        assert (after["state"], after["rating"]) == ("answered", 5)
        assert (await client.get(f"/surveys/{'x' * 24}")).status_code == 404
        unknown = await client.post(f"/surveys/{'x' * 24}", json={"rating": 3})
        assert unknown.status_code == 404

        today = datetime.now(ZoneInfo("Europe/Rome")).date()  # days as the tenant counts them
        summary = await client.get(
            "/surveys/summary",
            params={"tenant": "pisa", "from": str(today - timedelta(days=1)), "to": str(today)},
        )
        assert summary.status_code == 200, summary.text
        body = summary.json()
        assert body["answers"] == 1 and body["from"] == str(today - timedelta(days=1))
        (office,) = body["offices"]
        assert (office["organization"], office["average"]) == ("pm-reparto-5", 5.0)
        backwards = await client.get(
            "/surveys/summary", params={"tenant": "pisa", "from": str(today), "to": "2020-01-01"}
        )
        assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "query.to"

    async def survey_published() -> list[tuple[str, CloudEvent]]:
        return [
            (s, e) for s, e in await published_notifications(js) if s.endswith("survey_answered")
        ]

    await eventually(survey_published)
    ((subject, event),) = await survey_published()
    assert subject == "notifications.pisa.survey_answered"
    assert event.type == "it.sportello.survey.answered.v1"
    assert event.data["rating"] == 5 and event.data["case_id"] == story.case_id
    assert "Grazie" not in event.to_bytes().decode()  # the comment stays in notify-svc


async def test_a_breached_deadline_on_the_bus_mails_the_office_and_the_urp(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    await service(mail_sink.port)
    story = fresh_story(tenant="pisa", channel="phone")
    await publish(js, story.received)
    await publish(js, sla_event(story, SlaBreached, organization="pisamo"))

    await eventually(lambda: len(mail_sink.mails()) == 2)
    mails = mail_sink.mails()
    assert sorted(m["To"] for m in mails) == [
        "pisamo@pisa.sportello.example",
        "urp@pisa.sportello.example",
    ]
    for mail in mails:
        assert subject_of(mail).endswith(
            "TO-2026-000042: scadenza superata (Risposta al cittadino entro 30 giorni)"
        )
        assert "Ufficio che gestisce la pratica: Pisamo S.r.l.\r\n" in body_of(mail)


async def test_the_office_lists_its_letters_and_records_them_posted(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    app = await service(mail_sink.port)
    story = fresh_story(
        tenant="pisa", channel="phone", email=None, address="via Roma 1, 56125 Pisa"
    )
    for event in (story.received, story.taken_in_charge):
        await publish(js, event)
    async with client_for(app) as client:

        async def one_letter() -> list[dict[str, Any]]:
            response = await client.get("/letters", params={"tenant": "pisa"})
            letters: list[dict[str, Any]] = response.json()
            return letters

        await eventually(one_letter)
        (letter,) = await one_letter()
        assert letter["address"] == "via Roma 1, 56125 Pisa"
        assert "presa in carico" in letter["subject"] and "Gentile Maria Rossi" in letter["body"]

        url = f"/notifications/{letter['notification_id']}/letter-posted"
        posted = await client.post(url, json={"actor": "protocollo"})
        assert posted.status_code == 200 and posted.json()["status"] == "sent"
        assert await one_letter() == []
        again = await client.post(url, json={"actor": "x"})
        assert again.status_code == 409
        unknown = await client.get("/letters", params={"tenant": "roma"})
        assert unknown.status_code == 422
    assert mail_sink.mails() == []


async def test_with_authentication_a_case_s_messages_are_its_tenant_s_and_office_s(
    service: AppFactory,
    js: JetStreamContext,
    mail_sink: SmtpServer,
    issuer: DevIssuer,
) -> None:
    app = await service(mail_sink.port)
    story = fresh_story(tenant="pisa")
    for event in story.events:
        await publish(js, event)

    def as_(role: str, tenant: str, organization: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.token(role, tenant, organization)}"}

    path = f"/cases/{story.case_id}/notifications"
    async with client_for(app) as client:

        async def listed() -> list[dict[str, Any]] | None:
            response = await client.get(path, headers=as_("operator", "pisa"))
            return response.json() if response.status_code == 200 and response.json() else None

        first = (await eventually(listed))[0]
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, headers=as_("operator", "torino"))).status_code == 403
        assert (await client.get(path, headers=as_("partner", "pisa", "sepi"))).status_code == 403
        one = f"/notifications/{first['notification_id']}"
        assert (await client.get(one, headers=as_("operator", "pisa"))).status_code == 200
        assert (await client.get(one, headers=as_("operator", "torino"))).status_code == 403
        resend = {"actor": "someone", "reason": "lost"}
        refused = await client.post(f"{one}/resend", json=resend, headers=as_("operator", "torino"))
        assert refused.status_code == 403
