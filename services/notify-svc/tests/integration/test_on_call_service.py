"""notify-svc as it runs: an urgent Marcallo report at night pages the on-call rota through the
SMS provider (a real HTTP server), escalates while nobody answers, and stops once the on-call
person acknowledges through the API with their own token.

Marcallo's files as deployed, but with every hour out of office hours (so "night" does not
depend on when the suite runs) and 3 seconds to acknowledge instead of 15 minutes."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_devstack.issuer import DevIssuer
from sportello_notify.main import build

from .conftest import TENANTS_DIR, HttpReceiver, SmtpServer, eventually, notify_settings, publish
from .test_service import client_for, fresh_story, js  # noqa: F401

ROTA = ["+39 331 0000001", "+39 331 0000002", "+39 331 0000003"]


def always_night(directory: Path) -> Path:
    tenants = directory / "tenants"
    shutil.copytree(TENANTS_DIR, tenants)
    path = tenants / "marcallo" / "notify.yaml"
    policy = yaml.safe_load(path.read_text("utf-8"))
    policy["on_call"] |= {"office_hours": [], "escalate_after_minutes": 0.05}
    path.write_text(yaml.safe_dump(policy, allow_unicode=True), "utf-8")
    return tenants


@pytest.fixture
async def notify(
    store: dict[str, str],
    nats_url: str,
    intake_answers: list[str],  # noqa: ARG001 - the events name no citizen: intake answers
    mail_sink: SmtpServer,
    http_receiver: HttpReceiver,
    issuer: DevIssuer,  # noqa: ARG001 - authentication on, as in production
    tmp_path: Path,
) -> AsyncIterator[FastAPI]:
    settings = notify_settings(
        store,
        SPORTELLO_TENANTS_DIR=str(always_night(tmp_path)),
        NATS_URL=nats_url,
        SMTP_PORT=mail_sink.port,
        SMS_ENDPOINT=http_receiver.url("/sms"),
        RELAY_POLL_INTERVAL=0.05,
        DISPATCH_POLL_INTERVAL=0.1,
        ON_CALL_POLL_INTERVAL=0.2,
    )
    application = build(settings)
    async with application.router.lifespan_context(application):
        yield application


def paged(receiver: HttpReceiver) -> list[str]:
    return [r.json["to"] for r in receiver.requests if r.path == "/sms"]


async def test_the_rota_is_paged_escalated_and_stopped_by_the_acknowledgment(
    notify: FastAPI,
    js: JetStreamContext,  # noqa: F811
    http_receiver: HttpReceiver,
    issuer: DevIssuer,
) -> None:
    story = fresh_story(tenant="marcallo", category="allagamenti", office="ufficio-tecnico")
    for event in (story.received, story.assigned):
        await publish(js, event)

    await eventually(lambda: paged(http_receiver) == ROTA[:1])
    assert "URGENTE" in http_receiver.requests[0].json["text"]
    await eventually(lambda: paged(http_receiver) == ROTA[:2])  # nobody answered in 3 s

    def as_(subject: str, tenant: str = "marcallo", org: str | None = None) -> dict[str, Any]:
        return {"Authorization": f"Bearer {issuer.token('operator', tenant, org, subject)}"}

    path = f"/cases/{story.case_id}/on-call"
    async with client_for(notify) as client:
        refused = await client.post(f"{path}/acknowledge", headers=as_("x", "pisa"))
        assert refused.status_code == 403
        body = {"actor": "mallory"}  # never who acted: the token's subject is
        acknowledged = await client.post(
            f"{path}/acknowledge", json=body, headers=as_("tecnico.reperibile@marcallo")
        )
        assert acknowledged.status_code == 200, acknowledged.text
        assert acknowledged.json()["acknowledged_by"] == "tecnico.reperibile@marcallo"
        other = await client.post(f"{path}/acknowledge", headers=as_("someone.else@marcallo"))
        assert other.status_code == 409
        assert other.headers["content-type"] == "application/problem+json"
        shown = (await client.get(path, headers=as_("tecnico.reperibile@marcallo"))).json()
        none = await client.get(f"/cases/{fresh_story().case_id}/on-call", headers=as_("x"))
        assert none.status_code == 404

    assert [name for name, _ in shown["paged"]][:2] == [
        "Tecnico reperibile",
        "Responsabile dell'Ufficio Tecnico",
    ]
    await asyncio.sleep(4.0)  # longer than the 3 s the second one had
    # nobody paged after the acknowledgment (the snapshot was read after it)
    assert paged(http_receiver) == ROTA[: len(shown["paged"])]
