"""sla-svc on the live app, with a real NATS, on SQLite and PostgreSQL: clocks from case events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats
import pytest
from eventsourcing.persistence import Tracking
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_shared.application import Incoming
from sportello_shared.bus import headers
from sportello_shared.contracts import CloudEvent, EventPayload, wrap
from sportello_shared.contracts.cases import CaseAssigned, CaseClosed, CaseReceived, Citizen
from sportello_shared.contracts.subjects import case_subject
from sportello_shared.persistence import ensure_schema
from sportello_sla.application import SlaApplication
from sportello_sla.domain import ROME, clock_id_for
from sportello_sla.main import SlaSettings, build

TENANT = "torino"


@pytest.fixture
async def app(store: dict[str, str], nats_url: str) -> AsyncIterator[FastAPI]:
    overrides: dict[str, Any] = {
        "NATS_URL": nats_url,
        "RELAY_POLL_INTERVAL": 0.05,
        "SLA_SWEEP_INTERVAL": 0.1,
        **store,
    }
    settings = SlaSettings(**overrides)
    application = build(settings)
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


# --- case events as intake and routing publish them ---------------------------------------------

NOTIFICATION_IDS = count(1)


def received(case_id: str, received_at: datetime) -> CaseReceived:
    return CaseReceived(
        case_id=case_id,
        reference="TO-2026-000007",
        occurred_at=received_at,
        kind="segnalazione",
        channel="phone",
        category="decoro_pulizia",
        description="Cassonetti traboccanti in via Roma",
        citizen=Citizen(name="Maria Rossi", email="maria.rossi@example.org"),
        received_at=received_at,
        registered_at=received_at,
    )


def assigned(case_id: str, organization: str) -> CaseAssigned:
    return CaseAssigned(
        case_id=case_id,
        reference="TO-2026-000007",
        occurred_at=datetime.now(UTC),
        organization=organization,
        organization_name="Ufficio Relazioni con il Pubblico",
        rule_id="category:decoro_pulizia",
        rule_version=1,
        reasons=["category decoro_pulizia"],
    )


def closed(case_id: str, closed_at: datetime) -> CaseClosed:
    return CaseClosed(
        case_id=case_id,
        reference="TO-2026-000007",
        occurred_at=closed_at,
        outcome="Cassonetti svuotati",
    )


async def publish(
    js: JetStreamContext,
    payload: CaseReceived | CaseAssigned | CaseClosed,
    *,
    organization: str | None = None,
    producer: str = "intake",
) -> None:
    """One case event with the headers the relay sets: tracked by (producer, notification id)."""
    notification_id = next(NOTIFICATION_IDS)
    envelope = wrap(
        payload,
        aggregate_id=payload.case_id,
        aggregate_version=notification_id,
        source=f"/sportello/{producer}-svc",
        subject=payload.case_id,
        time=payload.occurred_at,
        tenant=TENANT,
        organization=organization or "unassigned",
        traceparent=None,
    )
    await js.publish(
        case_subject(TENANT, organization, payload.event),
        envelope.to_bytes(),
        headers={
            headers.MSG_ID: envelope.id,
            headers.PRODUCER: producer,
            headers.NOTIFICATION_ID: str(notification_id),
        },
    )


# --- what sla-svc answers and publishes ---------------------------------------------------------


async def eventually(probe: Callable[[], Any], seconds: float = 20.0) -> Any:
    """Poll `probe` (an async callable) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if result := await probe():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds}s: {probe.__doc__ or probe}")


async def clock_with_status(client: httpx.AsyncClient, case_id: str, status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        """the case's answer_30d clock reaches the expected status"""
        response = await client.get(f"/cases/{case_id}/clocks")
        assert response.status_code == 200, response.text
        clocks = response.json()
        return clocks[0] if clocks and clocks[0]["status"] == status else None

    result: dict[str, Any] = await eventually(probe)
    return result


async def sla_messages(js: JetStreamContext, case_id: str, *kinds: str) -> dict[str, Any]:
    """The SLA stream's messages about the case, by event, once all `kinds` have landed."""

    async def probe() -> dict[str, Any] | None:
        """the SLA events land in the SLA stream"""
        found: dict[str, Any] = {}
        last = (await js.stream_info("SLA")).state.last_seq
        for seq in range(1, last + 1):
            msg = await js.get_msg("SLA", seq)
            assert msg.data is not None and msg.subject is not None
            event = CloudEvent.from_bytes(msg.data)
            if event.subject == case_id:
                found[msg.subject.rsplit(".", 1)[-1]] = (msg.subject, event)
        return found if set(kinds) <= found.keys() else None

    result: dict[str, Any] = await eventually(probe)
    return result


# --- the walking skeleton's journeys ------------------------------------------------------------


async def test_a_case_closed_in_time_meets_its_clock(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    received_at = datetime.now(UTC) - timedelta(hours=2)
    closed_at = datetime.now(UTC) - timedelta(minutes=5)

    await publish(js, received(case_id, received_at))
    await clock_with_status(client, case_id, "running")
    await publish(js, assigned(case_id, "urp"), organization="urp", producer="routing")
    await publish(js, closed(case_id, closed_at), organization="urp")

    clock = await clock_with_status(client, case_id, "met")
    assert clock["standard"] == "answer_30d" and clock["policy_version"] == 1
    assert datetime.fromisoformat(clock["started_at"]) == received_at
    assert datetime.fromisoformat(clock["stopped_at"]) == closed_at
    deadline = datetime.fromisoformat(clock["deadline"]).astimezone(ROME)
    started = received_at.astimezone(ROME)
    assert (deadline.date() - started.date()).days == 30
    assert deadline.time() == started.time()

    messages = await sla_messages(js, case_id, "deadline_set", "met")
    clock_id = clock_id_for(UUID(case_id), "answer_30d")
    subject, deadline_set = messages["deadline_set"]
    assert subject == "sla.torino.unassigned.deadline_set"
    assert deadline_set.type == "it.sportello.sla.deadline_set.v1"
    assert deadline_set.id == f"{clock_id}:1"
    assert deadline_set.data["standard"] == "answer_30d"
    assert datetime.fromisoformat(deadline_set.data["deadline"]) == deadline
    subject, met = messages["met"]
    assert subject == "sla.torino.urp.met"
    assert met.type == "it.sportello.sla.met.v1" and met.organization == "urp"
    assert datetime.fromisoformat(met.data["at"]) == closed_at
    assert met.traceparent is not None and deadline_set.traceparent is not None
    assert met.traceparent.split("-")[1] == deadline_set.traceparent.split("-")[1]  # one trace


async def test_a_case_received_40_days_ago_is_breached_by_the_sweep(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    await publish(js, received(case_id, datetime.now(UTC) - timedelta(days=40)))

    clock = await clock_with_status(client, case_id, "breached")
    assert clock["stopped_at"] is None

    messages = await sla_messages(js, case_id, "deadline_set", "breached")
    subject, breached = messages["breached"]
    assert subject == "sla.torino.unassigned.breached"
    assert breached.type == "it.sportello.sla.breached.v1"
    assert datetime.fromisoformat(breached.data["at"]) > datetime.fromisoformat(
        breached.data["deadline"]
    )

    # Closed afterwards: it stays breached, and records when it stopped.
    closed_at = datetime.now(UTC)
    await publish(js, closed(case_id, closed_at))

    async def stopped() -> dict[str, Any] | None:
        """the breached clock records when the case was closed"""
        [clock] = (await client.get(f"/cases/{case_id}/clocks")).json()
        return clock if clock["stopped_at"] else None

    clock = await eventually(stopped)
    assert clock["status"] == "breached"
    assert datetime.fromisoformat(clock["stopped_at"]) == closed_at


async def test_a_closed_event_that_overtook_its_received_is_processed_after_it(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    now = datetime.now(UTC)
    await publish(js, closed(case_id, now - timedelta(minutes=1)))
    await asyncio.sleep(0.5)  # delivered once, found no clock, put back for later
    assert (await client.get(f"/cases/{case_id}/clocks")).json() == []

    await publish(js, received(case_id, now - timedelta(days=3)))

    clock = await clock_with_status(client, case_id, "met")
    assert datetime.fromisoformat(clock["stopped_at"]) == now - timedelta(minutes=1)
    await sla_messages(js, case_id, "deadline_set", "met")


async def test_a_case_sla_has_not_seen_has_no_clocks(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/cases/{uuid4()}/clocks")
    assert response.status_code == 200 and response.json() == []
    assert (await client.get("/cases/not-a-uuid/clocks")).status_code == 422


# --- the running-clock index survives a restart -------------------------------------------------


def sla_application(store: dict[str, str]) -> SlaApplication:
    overrides: dict[str, Any] = dict(store)
    settings = SlaSettings(**overrides)
    ensure_schema(settings)
    return SlaApplication(env=settings.eventsourcing_env())


def process(app: SlaApplication, payload: EventPayload, notification_id: int) -> None:
    envelope = wrap(
        payload,
        aggregate_id=uuid4(),
        aggregate_version=1,
        source="/test",
        subject=str(uuid4()),
        time=datetime.now(UTC),
        tenant=TENANT,
        organization="unassigned",
        traceparent=None,
    )
    app.process_incoming(Incoming(envelope, payload), Tracking("intake", notification_id))


def test_running_clocks_are_rebuilt_from_the_log_at_restart(store: dict[str, str]) -> None:
    now = datetime.now(UTC)
    overdue, met, running = str(uuid4()), str(uuid4()), str(uuid4())
    first = sla_application(store)
    process(first, received(overdue, now - timedelta(days=40)), 1)
    process(first, received(met, now - timedelta(days=45)), 2)
    process(first, closed(met, now - timedelta(days=20)), 3)
    process(first, received(running, now - timedelta(days=1)), 4)
    assert len(first.running) == 2
    first.close()

    restarted = sla_application(store)
    assert len(restarted.running) == 2
    assert [clock.case_id for clock in restarted.breach_overdue(now)] == [UUID(overdue)]
    assert len(restarted.running) == 1
    restarted.close()
