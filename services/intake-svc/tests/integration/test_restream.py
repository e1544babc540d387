"""`sportello-intake restream` against a real nats-server: the v1 messages published before
issue 19 are rewritten in today's form and deleted; consumers see each event once; twice is once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sportello_contracts import CloudEvent, parse_payload
from sportello_contracts.upcasting import current_form
from sportello_intake.adapters.restreaming import RESTREAM_OF, restream
from sportello_shared.bus import headers
from sportello_shared.bus.consumer import tracking_for
from sportello_shared.bus.streams import ensure_streams

SAMPLES = Path(__file__).parents[4] / "tests" / "contract" / "samples"
CLI = Path(sys.executable).parent / "sportello-intake"
OLD = ("case.received.v1", "case.handed_over.v1", "case.closed.v1", "case.assigned.manual.v1")
KEPT = ("case.received.v2", "case.assigned.v1")  # already in today's form
PERSONAL = ("Giulia", "Parcometro", "giulia", "Riparato")


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(servers=[nats_url])
    await ensure_streams(client.jetstream())
    yield client
    await client.close()


def sample(name: str) -> CloudEvent:
    return CloudEvent.from_bytes((SAMPLES / f"{name}.json").read_bytes())


def subject_of(event: CloudEvent) -> str:
    name = event.type.split(".")[3]
    return f"cases.{event.tenant}.{event.organization}.{name}"


async def publish_as_the_relay(js: JetStreamContext, name: str, notification: int) -> int:
    event = sample(name)
    ack = await js.publish(
        subject_of(event),
        event.to_bytes(),
        headers={
            headers.MSG_ID: f"{event.id}-{name}",
            headers.PRODUCER: "intake",
            headers.NOTIFICATION_ID: str(notification),
        },
    )
    return int(ack.seq)


async def everything(js: JetStreamContext) -> list[Msg]:
    sub = await js.subscribe("cases.>", ordered_consumer=True)
    read = [await sub.next_msg(timeout=5)]
    while read[-1].metadata.num_pending:
        read.append(await sub.next_msg(timeout=5))
    await sub.unsubscribe()
    return read


def run_cli(nats_url: str) -> str:
    done = subprocess.run(
        [str(CLI), "restream", "--nats-url", nats_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_v1_messages_are_rewritten_once_and_deleted(nc: Client, nats_url: str) -> None:
    js = nc.jetstream()
    for n, name in enumerate((*OLD, *KEPT), start=1):
        await publish_as_the_relay(js, name, n)
    await js.publish("cases.pisa.pisamo.closed", b"not json", headers={headers.MSG_ID: "junk"})

    out = run_cli(nats_url)

    assert "republished 4, deleted 4, unreadable 1" in out
    stored = await everything(js)
    assert len(stored) == 2 + 1 + 4
    events = [CloudEvent.from_bytes(m.data) for m in stored if m.data != b"not json"]
    assert [e.type for e in events] == [
        "it.sportello.case.received.v2",
        "it.sportello.case.assigned.v1",
        "it.sportello.case.received.v2",
        "it.sportello.case.handed_over.v2",
        "it.sportello.case.closed.v2",
        "it.sportello.case.assigned.v1",
    ]
    assert all(current_form(e) is None for e in events)  # nothing left to rewrite
    assert not [w for m in stored for w in PERSONAL if w in m.data.decode()]
    rewritten = stored[-4:]
    for n, (name, msg) in enumerate(zip(OLD, rewritten, strict=True), start=1):
        old = sample(name)
        new = CloudEvent.from_bytes(msg.data)
        assert (new.id, new.subject, new.time, msg.subject) == (
            old.id, old.subject, old.time, subject_of(old)
        )  # fmt: skip
        # the services' consumers track (producer, notification): processed already, no effect
        assert (tracking_for(msg).application_name, tracking_for(msg).notification_id) == (
            "intake",
            n,
        )
        assert msg.headers and msg.headers[headers.MSG_ID].endswith(":restream")
        parse_payload(new)  # today's readers read it as it is
    assert parse_payload(events[-1]).model_dump()["has_reason"] is True

    again = run_cli(nats_url)
    assert "republished 0, deleted 0" in again
    assert [m.metadata.sequence.stream for m in await everything(js)] == [
        m.metadata.sequence.stream for m in stored
    ]


async def test_a_run_stopped_between_publish_and_delete_only_deletes(nc: Client) -> None:
    js = nc.jetstream()
    seq = await publish_as_the_relay(js, "case.received.v1", 7)
    current = current_form(sample("case.received.v1"))
    assert current is not None
    await js.publish(
        "cases.pisa.none.received",
        current.to_bytes(),
        headers={headers.MSG_ID: "earlier-run", RESTREAM_OF: str(seq)},
    )

    report = await restream(js)

    assert (report.republished, report.deleted) == (0, 1)
    [left] = await everything(js)
    assert CloudEvent.from_bytes(left.data).type == "it.sportello.case.received.v2"
