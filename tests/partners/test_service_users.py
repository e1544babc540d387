"""Each service connects as its own NATS user: routing may ask intake only on
`personal.<tenant>.routing`, notify only on `personal.<tenant>.notify`, and neither can read the
other's answers. Real nats-server with the shipped configuration (deploy/nats), never a mock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from sportello_shared.partners.service_users import SERVICE_USERS, service_user
from sportello_shared.settings import ServiceSettings

from .conftest import Bus, CaseEvents

REFUSED = (nats.errors.TimeoutError, nats.errors.NoRespondersError, TimeoutError)


@dataclass
class ServiceConnection:
    nc: Client
    errors: list[Exception] = field(default_factory=list)

    async def violation(self, fragment: str, timeout: float = 3.0) -> str:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for error in self.errors:
                text = str(error).lower()
                if "permissions violation" in text and fragment.lower() in text:
                    return text
            await asyncio.sleep(0.02)
        raise AssertionError(f"no permissions violation for {fragment!r}: {self.errors}")


ConnectService = Callable[[str], Awaitable[ServiceConnection]]


@pytest.fixture
async def connect_service(bus: Bus) -> AsyncIterator[ConnectService]:
    """A connection as the service itself would open it: from its settings (NATS_USER and
    NATS_PASSWORD beside NATS_URL) with its own inbox prefix."""
    opened: list[Client] = []

    async def connect(name: str) -> ServiceConnection:
        user = service_user(name)
        settings = ServiceSettings(
            service_name=name,
            NATS_URL=bus.url,
            NATS_USER=user.name,
            NATS_PASSWORD=bus.passwords[user.password_variable],
        )
        connection = ServiceConnection(nc=Client())

        async def keep(error: Exception) -> None:
            connection.errors.append(error)

        connection.nc = await nats.connect(
            servers=settings.nats_servers,
            inbox_prefix=settings.nats_inbox_prefix,
            error_cb=keep,
            allow_reconnect=False,
        )
        opened.append(connection.nc)
        return connection

    yield connect
    for nc in opened:
        await nc.close()


@pytest.fixture
async def intake_answers(connect_service: ConnectService) -> AsyncIterator[list[str]]:
    """intake's responder on `personal.>`: answers with the subject it was asked on."""
    intake = await connect_service("intake")
    asked: list[str] = []

    async def respond(message: Msg) -> None:
        asked.append(message.subject)
        await message.respond(f"answer to {message.subject}".encode())

    await intake.nc.subscribe("personal.>", queue="intake", cb=respond)
    await intake.nc.flush()
    yield asked
    assert not intake.errors, intake.errors  # allow_responses: its answers are never refused


async def test_routing_asks_on_its_own_subject_and_is_refused_notify_s(
    connect_service: ConnectService, intake_answers: list[str]
) -> None:
    routing = await connect_service("routing")
    reply = await routing.nc.request("personal.torino.routing", b'{"case_id": "x"}', timeout=3)
    assert reply.data == b"answer to personal.torino.routing"

    with pytest.raises(REFUSED):
        await routing.nc.request("personal.torino.notify", b'{"case_id": "x"}', timeout=1)
    assert "personal.torino.notify" in await routing.violation("personal.torino.notify")
    with pytest.raises(REFUSED):
        await routing.nc.request("personal.pisa.sepi", b'{"case_id": "x"}', timeout=1)
    await routing.violation("personal.pisa.sepi")
    assert intake_answers == ["personal.torino.routing"]  # the refused ones never reached intake


async def test_notify_asks_on_its_own_subject_and_is_refused_routing_s(
    connect_service: ConnectService, intake_answers: list[str]
) -> None:
    notify = await connect_service("notify")
    reply = await notify.nc.request("personal.pisa.notify", b'{"case_id": "x"}', timeout=3)
    assert reply.data == b"answer to personal.pisa.notify"
    with pytest.raises(REFUSED):
        await notify.nc.request("personal.pisa.routing", b'{"case_id": "x"}', timeout=1)
    await notify.violation("personal.pisa.routing")
    assert intake_answers == ["personal.pisa.notify"]


@pytest.mark.parametrize("name", ["routing", "sla", "notify", "console"])
async def test_no_service_but_intake_hears_requests_or_reads_another_s_replies(
    connect_service: ConnectService, name: str
) -> None:
    service = await connect_service(name)
    for subject in ("personal.>", "_INBOX.>", "_INBOX.intake.>", "_INBOX.notify.>"):
        if subject == f"_INBOX.{name}.>":
            continue
        await service.nc.subscribe(subject)
        await service.violation(subject)
    others = [user.name for user in SERVICE_USERS if user.name not in (name, "intake")]
    for other in others:
        if other != "console":
            await service.nc.publish(f"personal.torino.{other}", b"{}")
            await service.violation(f"personal.torino.{other}")


async def test_a_service_user_still_works_its_streams(
    connect_service: ConnectService, case_events: CaseEvents
) -> None:
    """routing, as its own user, publishes with JetStream acks and pulls its durable consumer."""
    routing = await connect_service("routing")
    js = routing.nc.jetstream()
    await case_events.publish_one("pisa", "urp")
    subscription = await js.pull_subscribe("cases.pisa.>", durable="routing-user-check")
    [message] = await subscription.fetch(1, timeout=5)
    await message.ack_sync()
    ack = await js.publish("cases.pisa.urp.assigned", b"{}", headers={"Nats-Msg-Id": "check-1"})
    assert ack.stream == "CASES"
    assert not routing.errors, routing.errors
