"""Each partner sees its own cases and nothing else; a platform publishes on its own ingest subject
and nowhere else. Real nats-server with the shipped configuration, never a mock."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest
from nats.js.api import ConsumerConfig
from sportello_contracts import CloudEvent, parse_payload
from sportello_contracts.cases import CaseAssigned
from sportello_shared import partners
from sportello_shared.partners import API_PREFIX, Partner, Platform

from .conftest import (
    NATS_DIR,
    Bus,
    CaseEvents,
    Connection,
    connect_services,
    consumer_state,
    running_bus,
)

ConnectAs = Callable[[Partner | Platform], Coroutine[Any, Any, Connection]]
REFUSED = (nats.errors.TimeoutError, nats.errors.NoRespondersError, TimeoutError)


async def drain(conn: Connection, partner: Partner, expected: int) -> list[Any]:
    """Everything the partner's consumer delivers, acknowledged, until `expected` arrived."""
    js = conn.nc.jetstream(prefix=API_PREFIX)
    subscription = await js.pull_subscribe_bind(partner.consumer, stream="CASES")
    received: list[Any] = []
    while len(received) < expected:
        for message in await subscription.fetch(batch=50, timeout=5):
            await message.ack_sync()
            received.append(message)
    return received


async def test_a_partner_receives_exactly_the_events_of_its_cases(
    bus: Bus, connect_as: ConnectAs, case_events: CaseEvents
) -> None:
    pisamo = bus.partner("pisamo")
    mine = await case_events.journey("pisa", "pisamo")
    await case_events.journey("pisa", "sepi")
    await case_events.journey("pisa", "urp")
    await case_events.journey("pisa", "unassigned")
    # the same organization name under another tenant is somebody else
    await case_events.journey("torino", "pisamo")
    mine += await case_events.journey("pisa", "pisamo")

    received = await drain(await connect_as(pisamo), pisamo, expected=len(mine))

    assert [json.loads(m.data)["id"] for m in received] == mine
    assert {m.subject.rsplit(".", 1)[0] for m in received} == {"cases.pisa.pisamo"}
    first = CloudEvent.from_bytes(received[0].data)
    assert isinstance(parse_payload(first), CaseAssigned)
    assert received[0].headers["Nats-Msg-Id"] == first.id
    assert await consumer_state(bus, pisamo) == (0, 0), "nothing else is waiting for pisamo"


async def test_every_partner_gets_its_own_cases_only(
    bus: Bus, connect_as: ConnectAs, case_events: CaseEvents
) -> None:
    expected = {
        p.name: await case_events.journey("pisa", p.name) for p in bus.integrations.partners()
    }

    for partner in bus.integrations.partners():
        received = await drain(await connect_as(partner), partner, expected=3)
        assert [json.loads(m.data)["id"] for m in received] == expected[partner.name]
        assert await consumer_state(bus, partner) == (0, 0)


async def test_a_partner_cannot_subscribe_to_cases_subjects(
    bus: Bus, connect_as: ConnectAs, case_events: CaseEvents
) -> None:
    conn = await connect_as(bus.partner("pisamo"))
    spying = await conn.nc.subscribe("cases.pisa.sepi.>")
    everything = await conn.nc.subscribe(">")
    await conn.violation('subscription to "cases.pisa.sepi.>"')
    await conn.violation('subscription to ">"')

    await case_events.journey("pisa", "sepi")
    with pytest.raises(REFUSED):
        await spying.next_msg(timeout=0.5)
    with pytest.raises(REFUSED):
        await everything.next_msg(timeout=0.1)


@pytest.mark.parametrize(
    "subject",
    [
        f"{API_PREFIX}.CONSUMER.MSG.NEXT.CASES.partner-pisa-sepi",
        "$JS.API.CONSUMER.MSG.NEXT.CASES.partner-pisa-sepi",
        "$JS.API.CONSUMER.MSG.NEXT.CASES.partner-pisa-pisamo",  # its own, but not through Sportello
    ],
)
async def test_a_partner_cannot_pull_another_consumer(
    bus: Bus, connect_as: ConnectAs, case_events: CaseEvents, subject: str
) -> None:
    await case_events.journey("pisa", "sepi")
    conn = await connect_as(bus.partner("pisamo"))

    with pytest.raises(REFUSED):
        await conn.nc.request(subject, json.dumps({"batch": 10}).encode(), timeout=1)
    await conn.violation(f'publish to "{subject}"')
    assert await consumer_state(bus, bus.partner("sepi")) == (3, 0), "sepi's events untouched"


async def test_a_partner_cannot_add_or_change_consumers(bus: Bus, connect_as: ConnectAs) -> None:
    conn = await connect_as(bus.partner("pisamo"))
    for prefix in (API_PREFIX, "$JS.API"):
        js = conn.nc.jetstream(prefix=prefix, timeout=1)
        with pytest.raises(REFUSED):
            await js.add_consumer(
                "CASES", ConsumerConfig(durable_name="sbirciatina", filter_subject="cases.>")
            )
        with pytest.raises(REFUSED):
            await js.delete_consumer("CASES", "partner-pisa-sepi")
    await conn.violation("sbirciatina")
    await conn.violation("consumer.delete.cases.partner-pisa-sepi")

    services = await connect_services(bus)
    names = [c.name for c in await services.jetstream().consumers_info("CASES")]
    await services.close()
    assert "sbirciatina" not in names
    assert "partner-pisa-sepi" in names


@pytest.mark.parametrize(
    "subject",
    [
        "$JS.API.INFO",
        "$JS.API.STREAM.LIST",
        "$JS.API.STREAM.INFO.CASES",
        "$JS.API.STREAM.PURGE.CASES",
        "$JS.API.DIRECT.GET.CASES",
        f"{API_PREFIX}.STREAM.LIST",
        f"{API_PREFIX}.CONSUMER.LIST.CASES",
    ],
)
async def test_a_partner_cannot_call_the_jetstream_admin_api(
    bus: Bus, connect_as: ConnectAs, subject: str
) -> None:
    conn = await connect_as(bus.partner("pisamo"))
    with pytest.raises(REFUSED):
        await conn.nc.request(subject, b"{}", timeout=1)
    await conn.violation(f'publish to "{subject}"')


async def test_a_partner_reports_only_as_itself(bus: Bus, connect_as: ConnectAs) -> None:
    conn = await connect_as(bus.partner("pisamo"))
    js = conn.nc.jetstream(timeout=1)

    ack = await js.publish("ingest.pisa.pisamo", b'{"report": "mine"}')
    assert ack.stream == "INGEST"
    for other in ("ingest.pisa.sepi", "ingest.pisa.segnalaci", "ingest.torino.pisamo"):
        with pytest.raises(REFUSED):
            await js.publish(other, b'{"report": "as somebody else"}')
        await conn.violation(f'publish to "{other}"')

    assert await ingest_subjects(bus) == ["ingest.pisa.pisamo"]


async def test_a_platform_publishes_only_on_its_own_ingest_subject(
    bus: Bus, connect_as: ConnectAs
) -> None:
    conn = await connect_as(bus.member("pisa", "segnalaci"))
    js = conn.nc.jetstream(timeout=1)

    ack = await js.publish(
        "ingest.pisa.segnalaci", b'{"new": "case"}', headers={"Nats-Msg-Id": "x"}
    )
    assert (ack.stream, ack.seq) == ("INGEST", 1)
    for other in (
        "ingest.pisa.pisamo",
        "ingest.rescaldina.comuni-chiamo",
        "cases.pisa.urp.received",
    ):
        with pytest.raises(REFUSED):
            await js.publish(other, b'{"new": "case"}')
        await conn.violation(f'publish to "{other}"')
    await conn.nc.subscribe("ingest.>")
    await conn.violation('subscription to "ingest.>"')
    with pytest.raises(REFUSED):
        await conn.nc.request("$JS.API.STREAM.LIST", b"{}", timeout=1)

    assert await ingest_subjects(bus) == ["ingest.pisa.segnalaci"]


async def test_a_wrong_password_is_refused(bus: Bus) -> None:
    pisamo = bus.partner("pisamo")
    with pytest.raises((nats.errors.Error, OSError, asyncio.TimeoutError)):
        await nats.connect(
            bus.url,
            user=pisamo.user,
            password=bus.password(bus.partner("sepi")),
            allow_reconnect=False,
            max_reconnect_attempts=1,
            connect_timeout=2,
        )


async def ingest_subjects(bus: Bus) -> list[str]:
    services = await connect_services(bus)
    try:
        info = await services.jetstream().stream_info("INGEST", subjects_filter=">")
        return sorted((info.state.subjects or {}).keys())
    finally:
        await services.close()


@pytest.fixture
def accounts_only(tmp_path: Path) -> Iterator[Bus]:
    """The shipped configuration minus the per-user permissions: the accounts alone."""
    nats_dir = tmp_path / "accounts-only"
    nats_dir.mkdir()
    shutil.copy(NATS_DIR / partners.SERVER_FILE, nats_dir)
    integrations = partners.load_integrations(NATS_DIR)
    (nats_dir / partners.ACCOUNTS_FILE).write_text(
        partners.render_accounts(integrations, user_permissions=False)
    )
    yield from running_bus(nats_dir, tmp_path)


async def test_the_accounts_alone_keep_a_partner_out_of_others_data(
    accounts_only: Bus, connect_as: ConnectAs, case_events: CaseEvents
) -> None:
    bus = accounts_only
    pisamo = bus.partner("pisamo")
    conn = await connect_as(pisamo)
    everything = await conn.nc.subscribe(">")
    await conn.nc.flush()
    await case_events.journey("pisa", "sepi")
    mine = await case_events.journey("pisa", "pisamo")

    # Its account has no JetStream of its own, and Sportello's API is not in it...
    for subject in ("$JS.API.STREAM.LIST", f"{API_PREFIX}.STREAM.LIST"):
        try:
            response = await conn.nc.request(subject, b"{}", timeout=1)
        except REFUSED:
            continue
        assert json.loads(response.data)["error"]["description"] == (
            "jetstream not enabled for account"
        )
    with pytest.raises(REFUSED):
        await conn.nc.request(f"{API_PREFIX}.CONSUMER.MSG.NEXT.CASES.partner-pisa-sepi", b"{}", 1)
    with pytest.raises(REFUSED):
        await conn.nc.jetstream(timeout=1).publish("ingest.pisa.sepi", b"{}")
    # ...nor are Sportello's subjects: a wildcard subscription hears only its own requests.
    heard = []
    while True:
        try:
            heard.append((await everything.next_msg(timeout=0.3)).subject)
        except REFUSED:
            break
    assert not [s for s in heard if s.startswith(("cases.", "ingest.", "$JS.ACK"))], heard

    # What it is given still works.
    received = await drain(conn, pisamo, expected=3)
    assert [json.loads(m.data)["id"] for m in received] == mine
    assert await ingest_subjects(bus) == []
