"""A nats-server 2.15 running the shipped deploy/nats configuration, and helpers to act on it as
the services, a partner company or a platform would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import nats
import pytest
from nats.aio.client import Client
from sportello_contracts import EventPayload, wrap
from sportello_contracts.cases import CaseAssigned, CaseClosed, CaseTakenInCharge
from sportello_contracts.subjects import case_subject
from sportello_devstack.partners import ConfiguredNatsServer
from sportello_shared import partners
from sportello_shared.bus import headers
from sportello_shared.bus.streams import ensure_streams
from sportello_shared.partners import Integrations, Partner, Platform

REPO = Path(__file__).resolve().parents[2]
NATS_DIR = REPO / "deploy" / "nats"
EXAMPLES = REPO / "docs" / "examples"


@dataclass
class Bus:
    url: str
    data_dir: Path
    integrations: Integrations
    passwords: dict[str, str]
    server: ConfiguredNatsServer
    sequence: dict[str, int] = field(default_factory=dict)

    def password(self, member: Partner | Platform) -> str:
        return self.passwords[member.password_variable]

    def member(self, tenant: str, name: str) -> Partner | Platform:
        return self.integrations.find(tenant, name)

    def partner(self, name: str, tenant: str = "pisa") -> Partner:
        member = self.member(tenant, name)
        assert isinstance(member, Partner)
        return member

    def credentials(self, member: Partner | Platform) -> Path:
        return partners.write_credentials(self.data_dir, member, self.password(member), [self.url])


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[Bus]:
    """The shipped configuration with fresh secrets; streams as the services create them and
    every partner's consumer as `make partner` creates it."""
    yield from running_bus(NATS_DIR, tmp_path)


def running_bus(nats_dir: Path, tmp_path: Path) -> Iterator[Bus]:
    integrations = partners.load_integrations(NATS_DIR)
    data_dir = tmp_path / "data"
    passwords = partners.ensure_secrets(data_dir, integrations)
    server = ConfiguredNatsServer(
        nats_dir, tmp_path / "jetstream", passwords, log_file=tmp_path / "nats.log"
    )
    with server:
        running = Bus(server.url, data_dir, integrations, passwords, server)
        asyncio.run(_provision(running))
        yield running


async def _provision(bus: Bus) -> None:
    services = await connect_services(bus)
    await ensure_streams(services.jetstream())
    await services.close()
    for partner in bus.integrations.partners():
        await partners.ensure_consumer(
            [bus.url], partners.SERVICES_USER, bus.passwords[partners.SERVICES_PASSWORD], partner
        )


async def connect_services(bus: Bus) -> Client:
    return await nats.connect(
        bus.url,
        user=partners.SERVICES_USER,
        password=bus.passwords[partners.SERVICES_PASSWORD],
    )


@dataclass
class Connection:
    """A partner's or platform's connection, keeping the errors the server sent it."""

    nc: Client
    errors: list[Exception]

    def violations(self) -> list[str]:
        return [str(e) for e in self.errors if "permissions violation" in str(e).lower()]

    async def violation(self, fragment: str, timeout: float = 3.0) -> str:
        """The server's permissions violation naming `fragment` (subjects come lowercased)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = [v for v in self.violations() if fragment.lower() in v]
            if found:
                return found[0]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no permissions violation for {fragment!r}: {self.errors}")


@pytest.fixture
async def connect_as(bus: Bus) -> AsyncIterator[Any]:
    opened: list[Client] = []

    async def connect(member: Partner | Platform) -> Connection:
        errors: list[Exception] = []

        async def keep(error: Exception) -> None:
            errors.append(error)

        nc = await nats.connect(
            bus.url, user=member.user, password=bus.password(member), error_cb=keep
        )
        opened.append(nc)
        return Connection(nc, errors)

    yield connect
    for nc in opened:
        await nc.close()


class CaseEvents:
    """Publishes case events the way the services' relay does: a CloudEvent from the shared
    contract on `cases.<tenant>.<organization>.<event>` with the Sportello headers."""

    def __init__(self, services: Client) -> None:
        self.js = services.jetstream()
        self._notification_id = 0

    async def publish(self, tenant: str, organization: str, payload: EventPayload) -> str:
        case_id = str(getattr(payload, "case_id", uuid4()))
        self._notification_id += 1
        envelope = wrap(
            payload,
            aggregate_id=case_id,
            aggregate_version=self._notification_id,
            source=f"/sportello/{tenant}/intake",
            subject=case_id,
            time=datetime.now(UTC),
            tenant=tenant,
            organization=organization,
            traceparent=None,
        )
        await self.js.publish(
            case_subject(tenant, organization, payload.event),
            envelope.to_bytes(),
            stream="CASES",
            headers={
                headers.MSG_ID: envelope.id,
                headers.PRODUCER: "routing",
                headers.NOTIFICATION_ID: str(self._notification_id),
            },
        )
        return envelope.id

    async def publish_one(self, tenant: str, organization: str) -> str:
        """One event of a new case handled by `organization`."""
        common = {"case_id": str(uuid4()), "reference": "PI-2026-000043", "occurred_at": _now()}
        return await self.publish(
            tenant,
            organization,
            CaseTakenInCharge(**common, organization=organization, operator="m.rossi"),
        )

    async def journey(self, tenant: str, organization: str) -> list[str]:
        """A case assigned to `organization`, taken in charge and closed: three event ids."""
        case_id = str(uuid4())
        common = {"case_id": case_id, "reference": "PI-2026-000042", "occurred_at": _now()}
        return [
            await self.publish(
                tenant,
                organization,
                CaseAssigned(
                    **common,
                    organization=organization,
                    organization_name=organization.title(),
                    rule_id="category",
                    rule_version=1,
                    reasons=["categoria parcheggi"],
                ),
            ),
            await self.publish(
                tenant,
                organization,
                CaseTakenInCharge(**common, organization=organization, operator="m.rossi"),
            ),
            await self.publish(tenant, organization, CaseClosed(**common, outcome="risolto")),
        ]


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def case_events(bus: Bus) -> AsyncIterator[CaseEvents]:
    services = await connect_services(bus)
    yield CaseEvents(services)
    await services.close()


async def consumer_state(bus: Bus, partner: Partner) -> tuple[int, int]:
    """(pending, waiting for ack) on the partner's consumer, as the operators see it."""
    services = await connect_services(bus)
    try:
        info = await services.jetstream().consumer_info("CASES", partner.consumer)
        return info.num_pending or 0, info.num_ack_pending or 0
    finally:
        await services.close()


async def pull_requests_waiting(bus: Bus, partner: Partner) -> int:
    """Pull requests the server still holds for the partner's consumer (a killed client's
    long poll stays until the server notices its connection is gone)."""
    services = await connect_services(bus)
    try:
        info = await services.jetstream().consumer_info("CASES", partner.consumer)
        return info.num_waiting or 0
    finally:
        await services.close()


def event_ids(lines: list[str]) -> list[str]:
    return [json.loads(line)["id"] for line in lines]
