"""A tiny service application for testing the bus plumbing on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

import nats
import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, event
from nats.js import JetStreamContext
from sportello_contracts import EventPayload
from sportello_contracts.cases import CaseReceived, CaseRoutingFailed
from sportello_contracts.subjects import case_subject
from sportello_shared.application import Incoming, ServiceApplication
from sportello_shared.bus.relay import Outgoing, outgoing_for
from sportello_shared.bus.streams import ensure_streams
from sportello_shared.personal_data.store import PersonalDataStore


class Ticket(Aggregate):
    @event("Opened")
    def __init__(self, tenant: str, number: int) -> None:
        self.tenant = tenant
        self.number = number


class Echo(Aggregate):
    """One per case seen: counting them counts the effects of the consumed events."""

    @event("Seen")
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.times = 1

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return uuid5(UUID(int=0), case_id)


class BusTestApplication(PersonalDataStore, ServiceApplication):
    """With a key vault: its dead letters are sealed (bus/sealing.py)."""

    name = "bustest"

    def open_tickets(self, count: int) -> list[Ticket]:
        tickets = [Ticket("torino", n) for n in range(count)]
        self.save(*tickets)
        return tickets

    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        if isinstance(payload, CaseReceived):
            processing_event.collect_events(Echo(payload.case_id))

    def echoes(self) -> int:
        return sum(
            1
            for n in self.recorder.select_notifications(start=1, limit=100000)
            if n.topic.endswith("Echo.Seen")
        )


def ticket_to_public(domain_event: Any) -> Outgoing | None:
    """A ticket published as a v1 event (`routing_failed`: the relay tests add v2, v3 beside)."""
    if not isinstance(domain_event, Ticket.Opened):
        return None
    case_id = str(domain_event.originator_id)
    payload = CaseRoutingFailed(
        case_id=case_id,
        reference="TO-2026-000001",
        occurred_at=datetime.now(UTC),
        reason="no rule matched",
        triage_organization="urp",
    )
    return outgoing_for(
        domain_event,
        payload,
        subject=case_subject(domain_event.tenant, None, "routing_failed"),
        source="/test",
        traceparent=None,
    )


def received(case_id: str | None = None) -> CaseReceived:
    now = datetime.now(UTC)
    return CaseReceived(
        case_id=case_id or str(uuid4()),
        reference="TO-2026-000001",
        occurred_at=now,
        kind="segnalazione",
        channel="web",
        category="decoro",
        received_at=now,
        registered_at=now,
    )


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    """A JetStream context on the test's NATS account, with the platform's streams."""
    nc = await nats.connect(servers=[nats_url])
    js = nc.jetstream()
    await ensure_streams(js)
    yield js
    await nc.close()
