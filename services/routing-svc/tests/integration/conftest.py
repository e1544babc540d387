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
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sportello_contracts import CloudEvent, EventPayload, wrap
from sportello_contracts.cases import (
    CaseClassified,
    CaseReassignmentRequested,
    CaseReceived,
    CaseReopened,
    Channel,
    Kind,
    Location,
    text_facts,
)
from sportello_contracts.personal import PersonalAnswer, PersonalRefusal, PersonalRequest
from sportello_devstack.testing import eventually
from sportello_routing.main import RoutingSettings, build
from sportello_shared.bus import headers

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


# What the stand-in for intake holds of each case it "registered": the events carry none of it.
INTAKE_FILES: dict[str, PersonalAnswer] = {}


@pytest.fixture(autouse=True)
async def intake_answers(nats_url: str) -> AsyncIterator[list[str]]:
    """Intake's side of personal.<tenant>.<requester>, for the cases `receive` registered; the
    subjects it was asked on are yielded (routing must ask as `routing`)."""
    asked: list[str] = []
    nc = await nats.connect(servers=[nats_url])

    async def answer(msg: Msg) -> None:
        asked.append(msg.subject)
        request = PersonalRequest.model_validate_json(msg.data)
        found = INTAKE_FILES.get(request.case_id)
        body: Any = found or PersonalRefusal(error="not_found")
        await msg.respond(body.model_dump_json(exclude_none=True).encode())

    await nc.subscribe("personal.*.*", cb=answer)
    yield asked
    await nc.close()


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
    answered_on_the_spot: bool = False,
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
        has_location=at is not None,
        received_at=now,
        registered_at=now,
        answered_on_the_spot=answered_on_the_spot,
    )
    INTAKE_FILES[case_id] = PersonalAnswer(
        case_id=case_id,
        reference=payload.reference,
        tenant=tenant,
        citizen={"name": "Luca", "phone": "+39 050 123456"},
        description=description,
        location=Location(lat=at[0], lon=at[1]) if at else None,
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
        **text_facts("reason", "non di nostra competenza"),
    )
    await _publish(js, tenant, organization, payload, version)


async def classify(
    js: JetStreamContext,
    tenant: str,
    case_id: str,
    organization: str,
    version: int,
    category: str,
    kind: str = "segnalazione",
) -> None:
    """The triage's classification of a case registered `da_classificare`, as intake publishes
    it (on the triage's subject, nothing personal)."""
    payload = CaseClassified(
        case_id=case_id,
        reference="XX",
        occurred_at=datetime.now(UTC),
        kind=Kind(kind),
        category=category,
        previous_category="da_classificare",
        identity_completed=True,
    )
    await _publish(js, tenant, organization, payload, version)


async def reopen(
    js: JetStreamContext, tenant: str, case_id: str, organization: str, version: int
) -> None:
    payload = CaseReopened(
        case_id=case_id,
        reference="XX",
        occurred_at=datetime.now(UTC),
        **text_facts("reason", "di nuovo guasto"),
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
