"""notify-svc as it runs: real NATS, a real SMTP server, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_notify.adapters.dispatcher import DISPATCH_POSITION
from sportello_notify.main import build
from sportello_shared.contracts import CloudEvent

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
    start_smtp,
    subject_of,
)

AppFactory = Callable[[int], Any]


@pytest.fixture
async def service(store: dict[str, str], nats_url: str) -> AsyncIterator[Callable[[int], Any]]:
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


async def test_taken_in_charge_and_closed_each_mail_the_citizen_once(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    app = await service(mail_sink.port)
    story = case_story()
    for event in story.events:
        await publish(js, event)

    await eventually(lambda: len(mail_sink.mails()) == 2)
    mails = mail_sink.mails()
    assert [m["To"] for m in mails] == [EMAIL, EMAIL]
    assert subject_of(mails[0]).endswith(
        "La sua segnalazione TO-2026-000042 è stata presa in carico"
    )
    assert subject_of(mails[1]).endswith("La sua segnalazione TO-2026-000042 è stata chiusa")
    assert OUTCOME in body_of(mails[1])

    async with client_for(app) as client:
        await eventually(
            lambda: _all_sent(client, story, 2)  # marked sent once the server accepted
        )
        listed = await notifications(client, story)
    assert [n["template"] for n in listed] == ["taken_in_charge", "closed"]
    assert all(n["attempts"] == 1 for n in listed)
    assert all(n["provider_reply"] == "250 Message accepted for delivery" for n in listed)
    assert all("recipient" not in n and EMAIL not in str(n) for n in listed)
    message_ids = {f"<{n['notification_id']}@sportello>" for n in listed}
    assert {m["Message-ID"] for m in mails} == message_ids

    async def two_published() -> bool:
        return len(await published_notifications(js)) == 2

    await eventually(two_published)
    for subject, event in await published_notifications(js):
        assert subject == "notifications.torino.sent"
        assert event.type == "it.sportello.notification.sent.v1"
        assert event.subject == story.case_id
        assert EMAIL not in event.to_bytes().decode()


async def _all_sent(client: httpx.AsyncClient, story: CaseStory, count: int) -> bool:
    listed = await notifications(client, story)
    return len(listed) == count and all(n["status"] == "sent" for n in listed)


async def test_the_same_events_published_again_send_no_more_mail(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    app = await service(mail_sink.port)
    story = case_story()
    for event in story.events:
        await publish(js, event)
    async with client_for(app) as client:
        await eventually(lambda: _all_sent(client, story, 2))

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
    assert len(mail_sink.mails()) == 2
    async with client_for(app) as client:
        assert len(await notifications(client, story)) == 2


async def test_events_that_overtake_received_wait_for_it(
    service: AppFactory, js: JetStreamContext, mail_sink: SmtpServer
) -> None:
    await service(mail_sink.port)
    story = case_story(language="en")
    for event in (story.taken_in_charge, story.assigned, story.received, story.closed):
        await publish(js, event)

    await eventually(lambda: len(mail_sink.mails()) == 2, timeout=20)
    subjects = sorted(subject_of(m) for m in mail_sink.mails())
    assert subjects == [
        "Comune di Torino - Your report TO-2026-000042 has been closed",
        "Comune di Torino - Your report TO-2026-000042 has been taken in charge",
    ]


async def test_a_5xx_refusal_fails_the_notification_and_publishes_that(
    service: AppFactory, js: JetStreamContext, tmp_path: Path
) -> None:
    refusing = Refusing("550 5.1.1 Mailbox unavailable")
    server, controller = start_smtp(refusing, tmp_path / "refused")
    try:
        app = await service(server.port)
        story = case_story()
        for event in story.events[:3]:
            await publish(js, event)

        async with client_for(app) as client:

            async def failed() -> bool:
                listed = await notifications(client, story)
                return len(listed) == 1 and listed[0]["status"] == "failed"

            await eventually(failed)
            (notification,) = await notifications(client, story)
    finally:
        controller.stop()

    assert notification["attempts"] == 1 and refusing.calls == 1
    assert notification["provider_reply"] is None
    assert "550" in notification["failure_reason"]
    assert server.mails() == []

    async def one_published() -> bool:
        return len(await published_notifications(js)) == 1

    await eventually(one_published)
    ((subject, event),) = await published_notifications(js)
    assert subject == "notifications.torino.failed"
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
        assert "sportello_notify_mails_total" in (await client.get("/metrics")).text
