"""The live routing app on a real NATS, on SQLite and on PostgreSQL; a stand-in for intake."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_devstack.testing import eventually
from sportello_routing.main import RoutingSettings, build
from sportello_shared.bus import headers
from sportello_shared.contracts import CloudEvent, EventPayload, wrap
from sportello_shared.contracts.cases import (
    CaseReassignmentRequested,
    CaseReceived,
    CaseReopened,
    Channel,
    Citizen,
    Kind,
    Location,
)

ROOT = Path(__file__).parents[4]
TENANTS_DIR = ROOT / "deploy" / "tenants"
_notification_ids = itertools.count(1)


def settings_for(
    store: dict[str, str], nats_url: str, tenants_dir: Path = TENANTS_DIR
) -> RoutingSettings:
    overrides: dict[str, Any] = {
        "NATS_URL": nats_url,
        "SPORTELLO_TENANTS_DIR": str(tenants_dir),
        "RELAY_POLL_INTERVAL": 0.05,
        **store,
    }
    return RoutingSettings(**overrides)


@pytest.fixture
async def app(store: dict[str, str], nats_url: str) -> AsyncIterator[FastAPI]:
    application = build(settings_for(store, nats_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing") as client:
        yield client


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(servers=[nats_url])
    yield nc.jetstream()
    await nc.close()


async def _publish(
    js: JetStreamContext, tenant: str, organization: str, payload: EventPayload, version: int
) -> None:
    now = datetime.now(UTC)
    envelope = wrap(
        payload,
        aggregate_id=payload.case_id,  # type: ignore[attr-defined]
        aggregate_version=version,
        source="/test/intake",
        subject=payload.case_id,  # type: ignore[attr-defined]
        time=now,
        tenant=tenant,
        organization=organization,
        traceparent=None,
    )
    await js.publish(
        f"cases.{tenant}.{organization}.{payload.event}",
        envelope.to_bytes(),
        headers={
            headers.MSG_ID: envelope.id,
            headers.PRODUCER: "intake",
            headers.NOTIFICATION_ID: str(next(_notification_ids)),
        },
    )


async def receive(
    js: JetStreamContext,
    tenant: str,
    category: str,
    *,
    kind: str = "reclamo",
    description: str = "Parcometro guasto",
    at: tuple[float, float] | None = None,
) -> str:
    """What intake publishes when it registers a case; returns the case id."""
    case_id = str(uuid4())
    now = datetime.now(UTC)
    payload = CaseReceived(
        case_id=case_id,
        reference=f"XX-2026-{next(_notification_ids):06d}",
        occurred_at=now,
        kind=Kind(kind),
        channel=Channel.PHONE,
        category=category,
        description=description,
        citizen=Citizen(name="Luca", phone="+39 050 123456"),
        location=Location(lat=at[0], lon=at[1]) if at else None,
        received_at=now,
        registered_at=now,
    )
    await _publish(js, tenant, "unassigned", payload, 1)
    return case_id


async def decline(
    js: JetStreamContext, tenant: str, case_id: str, organization: str, version: int
) -> None:
    payload = CaseReassignmentRequested(
        case_id=case_id,
        reference="XX",
        occurred_at=datetime.now(UTC),
        organization=organization,
        reason="non di nostra competenza",
    )
    await _publish(js, tenant, organization, payload, version)


async def reopen(
    js: JetStreamContext, tenant: str, case_id: str, organization: str, version: int
) -> None:
    payload = CaseReopened(
        case_id=case_id, reference="XX", occurred_at=datetime.now(UTC), reason="di nuovo guasto"
    )
    await _publish(js, tenant, organization, payload, version)


async def decisions(js: JetStreamContext, case_id: str) -> list[tuple[str, CloudEvent]]:
    """routing's decisions on the bus for one case, in order, with their NATS subjects."""
    found = []
    last = (await js.stream_info("CASES")).state.last_seq
    for seq in range(1, last + 1):
        msg = await js.get_msg("CASES", seq)
        event = CloudEvent.from_bytes(msg.data or b"")
        if event.subject == case_id and event.source == "/sportello/routing-svc":
            found.append((str(msg.subject), event))
    return found


async def nth_decision(js: JetStreamContext, case_id: str, n: int) -> tuple[str, CloudEvent]:
    found = await eventually(lambda: _at_least(js, case_id, n))
    subject, event = found[n - 1]
    return subject, event


async def _at_least(js: JetStreamContext, case_id: str, n: int) -> list[tuple[str, CloudEvent]]:
    found = await decisions(js, case_id)
    return found if len(found) >= n else []
