"""sla-svc's integration fixtures: the live app on a real NATS and a real store, and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import count
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_contracts import CloudEvent, EventPayload, wrap
from sportello_contracts import cases as c
from sportello_contracts.subjects import case_subject, notification_subject
from sportello_devstack.testing import eventually
from sportello_shared.bus import headers
from sportello_sla.main import SlaSettings, build

NOTIFICATION_IDS = count(1)


@pytest.fixture
async def app(store: dict[str, str], nats_url: str) -> AsyncIterator[FastAPI]:
    overrides: dict[str, Any] = {
        "NATS_URL": nats_url,
        "RELAY_POLL_INTERVAL": 0.05,
        "SLA_SWEEP_INTERVAL": 0.2,
        **store,
    }
    application = build(SlaSettings(**overrides))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as client:
        yield client


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(servers=[nats_url])
    yield nc.jetstream()
    await nc.close()


def received(case_id: str, at: datetime, **changes: Any) -> c.CaseReceived:
    fields: dict[str, Any] = {
        "case_id": case_id,
        "reference": "XX-2026-000007",
        "occurred_at": at,
        "kind": "segnalazione",
        "channel": "phone",
        "category": "altro",
        "description": "Cassonetti traboccanti in via Roma",
        "citizen": c.Citizen(name="Maria Rossi", email="maria.rossi@example.org"),
        "received_at": at,
        "registered_at": at,
    }
    return c.CaseReceived(**(fields | changes))


def event(kind: type[Any], case_id: str, at: datetime, **fields: Any) -> Any:
    return kind(case_id=case_id, reference="XX-2026-000007", occurred_at=at, **fields)


def assigned(case_id: str, organization: str, at: datetime | None = None) -> c.CaseAssigned:
    payload: c.CaseAssigned = event(
        c.CaseAssigned,
        case_id,
        at or datetime.now(UTC),
        organization=organization,
        organization_name="Ufficio",
        rule_id="category:altro",
        rule_version=1,
        reasons=["category altro"],
    )
    return payload


async def publish(
    js: JetStreamContext,
    tenant: str,
    payload: EventPayload,
    *,
    organization: str | None = None,
    producer: str = "intake",
) -> None:
    """One event with the headers the relay sets: tracked by (producer, notification id)."""
    notification_id = next(NOTIFICATION_IDS)
    case_id = str(getattr(payload, "case_id", "x"))
    at = getattr(payload, "occurred_at", None) or getattr(payload, "at", None)
    assert isinstance(at, datetime)
    envelope = wrap(
        payload,
        aggregate_id=case_id,
        aggregate_version=notification_id,
        source=f"/sportello/{producer}-svc",
        subject=case_id,
        time=at,
        tenant=tenant,
        organization=organization or "unassigned",
        traceparent=None,
    )
    subject = (
        notification_subject(tenant, payload.event)
        if producer == "notify"
        else case_subject(tenant, organization, payload.event)
    )
    await js.publish(
        subject,
        envelope.to_bytes(),
        headers={
            headers.MSG_ID: envelope.id,
            headers.PRODUCER: producer,
            headers.NOTIFICATION_ID: str(notification_id),
        },
    )


async def clock_with_status(
    client: httpx.AsyncClient, case_id: str, standard: str, status: str
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        """the clock reaches the expected status"""
        response = await client.get(f"/cases/{case_id}/clocks")
        assert response.status_code == 200, response.text
        found = [k for k in response.json() if k["standard"] == standard]
        return found[0] if found and found[0]["status"] == status else None

    result: dict[str, Any] = await eventually(probe)
    return result


async def sla_messages(
    js: JetStreamContext, case_id: str, *kinds: str, standards: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The SLA stream's messages about the case by event: (subject, CloudEvent, stored at),
    once each kind is there (for each of `standards`, when given: the relay publishes the
    clocks' events one after another)."""

    async def probe() -> dict[str, list[Any]] | None:
        """the SLA events land in the SLA stream"""
        found: dict[str, list[Any]] = {}
        last = (await js.stream_info("SLA")).state.last_seq
        for seq in range(1, last + 1):
            msg = await js.get_msg("SLA", seq)
            assert msg.data is not None and msg.subject is not None
            envelope = CloudEvent.from_bytes(msg.data)
            if envelope.subject == case_id:
                kind = msg.subject.rsplit(".", 1)[-1]
                found.setdefault(kind, []).append((msg.subject, envelope, msg.time))
        if not set(kinds) <= found.keys():
            return None
        for kind in kinds:
            present = {envelope.data.get("standard") for _, envelope, _ in found[kind]}
            if not set(standards) <= present:
                return None
        return found

    result: dict[str, Any] = await eventually(probe)
    return result
