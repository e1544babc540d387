"""routing-svc on the live app: a received case on the bus comes back assigned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_routing.main import RoutingSettings, build
from sportello_shared.bus import headers
from sportello_shared.contracts import CloudEvent, wrap
from sportello_shared.contracts.cases import CaseReceived, Citizen

ROOT = Path(__file__).parents[4]


@pytest.fixture
async def app(store: dict[str, str], nats_url: str) -> AsyncIterator[FastAPI]:
    settings = RoutingSettings(
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        RELAY_POLL_INTERVAL=0.05,
        **store,
    )  # type: ignore[call-arg]
    application = build(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(servers=[nats_url])
    yield nc.jetstream()
    await nc.close()


async def publish_received(
    js: JetStreamContext, tenant: str, category: str, notification_id: int
) -> str:
    case_id = str(uuid4())
    now = datetime.now(UTC)
    payload = CaseReceived(
        case_id=case_id,
        reference="PI-2026-000001",
        occurred_at=now,
        kind="reclamo",
        channel="phone",
        category=category,
        description="Parcometro guasto",
        citizen=Citizen(name="Luca", phone="+39 050 123456"),
        received_at=now,
        registered_at=now,
    )
    envelope = wrap(
        payload,
        aggregate_id=case_id,
        aggregate_version=1,
        source="/test",
        subject=case_id,
        time=now,
        tenant=tenant,
        organization="unassigned",
        traceparent=None,
    )
    await js.publish(
        f"cases.{tenant}.unassigned.received",
        envelope.to_bytes(),
        headers={
            headers.MSG_ID: envelope.id,
            headers.PRODUCER: "intake",
            headers.NOTIFICATION_ID: str(notification_id),
        },
    )
    return case_id


async def next_decision(js: JetStreamContext, subject: str) -> CloudEvent:
    for _ in range(100):
        try:
            return CloudEvent.from_bytes((await js.get_last_msg("CASES", subject)).data)
        except nats.js.errors.NotFoundError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"nothing on {subject}")


async def test_a_pisa_parking_complaint_is_assigned_to_pisamo(
    app: FastAPI, js: JetStreamContext
) -> None:
    case_id = await publish_received(js, "pisa", "parcheggi", 1)

    event = await next_decision(js, "cases.pisa.pisamo.assigned")
    assert event.subject == case_id
    assert event.organization == "pisamo"
    assert event.data["rule_id"] == "category:parcheggi" and event.data["rule_version"] == 1

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing") as client:
        view = (await client.get(f"/assignments/{case_id}")).json()
    assert view["organization"] == "pisamo"
    assert view["history"][0]["reasons"]


@pytest.mark.usefixtures("app")
async def test_an_unknown_category_fails_to_triage(js: JetStreamContext) -> None:
    case_id = await publish_received(js, "torino", "ufo_sightings", 1)
    event = await next_decision(js, "cases.torino.contact-center.routing_failed")
    assert event.subject == case_id
    assert event.data["triage_organization"] == "contact-center"
