"""The consumer runner against a real nats-server: one effect per event, poison to the DLQ."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import nats
import pytest
from eventsourcing.persistence import Tracking
from nats.js import JetStreamContext
from sportello_shared.application import ApplicationProcessor, Incoming, Writer
from sportello_shared.bus import headers
from sportello_shared.bus.consumer import ConsumerRunner, ConsumerSpec
from sportello_shared.bus.streams import ensure_streams
from sportello_shared.contracts import wrap
from sportello_shared.persistence import ensure_schema
from sportello_shared.settings import ServiceSettings

from .conftest import BusTestApplication, received

SPEC = ConsumerSpec(
    "bustest", "CASES", "bustest", ("cases.*.*.received",), max_deliver=3, ack_wait=2
)


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(servers=[nats_url])
    js = nc.jetstream()
    await ensure_streams(js)
    yield js
    await nc.close()


@pytest.fixture
def app(store: dict[str, str]) -> BusTestApplication:
    settings = ServiceSettings(service_name="bustest", **store)  # type: ignore[arg-type]
    ensure_schema(settings)
    return BusTestApplication(env=settings.eventsourcing_env())


async def publish_received(
    js: JetStreamContext, case_id: str, notification_id: int, msg_id: str | None = None
) -> None:
    payload = received(case_id)
    envelope = wrap(
        payload,
        aggregate_id=case_id,
        aggregate_version=1,
        source="/test",
        subject=case_id,
        time=payload.registered_at,
        tenant="torino",
        organization="unassigned",
        traceparent=None,
    )
    await js.publish(
        "cases.torino.unassigned.received",
        envelope.to_bytes(),
        headers={
            headers.MSG_ID: msg_id or envelope.id,
            headers.PRODUCER: "intake",
            headers.NOTIFICATION_ID: str(notification_id),
        },
    )


async def run_until(runner: ConsumerRunner, seconds: float = 3.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_a_republished_duplicate_has_one_effect(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    writer = Writer("test")
    runner = ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer))

    await publish_received(js, "case-1", 1)
    # Republished after JetStream's duplicate window: a different Msg-Id gets it past the stream.
    await publish_received(js, "case-1", 1, msg_id="republished-later")
    await publish_received(js, "case-2", 2)
    await run_until(runner, seconds=2.0)

    assert (await js.stream_info("CASES")).state.messages == 3
    assert app.echoes() == 2
    writer.shutdown()


class CrashAfterCommit(ApplicationProcessor):
    """Commits, then fails before the ack: the message is found processed, acked, not redone."""

    crashes = 0

    async def process(self, incoming: Incoming, tracking: Tracking) -> None:
        await super().process(incoming, tracking)
        self._crash()

    async def process_batch(
        self, batch: Sequence[tuple[Incoming, Tracking]]
    ) -> list[Exception | None]:
        outcomes = await super().process_batch(batch)
        self._crash()
        return outcomes

    def _crash(self) -> None:
        if self.crashes == 0:
            self.crashes += 1
            raise ConnectionResetError("lost before ack")


async def test_a_redelivered_message_has_one_effect(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    writer = Writer("test")
    processor = CrashAfterCommit(app, writer)
    runner = ConsumerRunner(js, SPEC, processor)

    await publish_received(js, "case-1", 7)
    await run_until(runner, seconds=3.0)

    assert processor.crashes == 1
    info = await js.consumer_info("CASES", "bustest")
    assert info.num_ack_pending == 0 and info.num_pending == 0
    assert app.echoes() == 1
    writer.shutdown()


async def test_a_poison_message_goes_to_the_dlq_and_the_next_is_processed(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    writer = Writer("test")
    runner = ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer))

    await js.publish(
        "cases.torino.unassigned.received", b"{not json", headers={headers.MSG_ID: "poison"}
    )
    await js.publish(
        "cases.torino.unassigned.received",
        b'{"specversion": "1.0", "id": "x:1", "source": "/t",'
        b' "type": "it.sportello.case.received.v1", "subject": "x",'
        b' "time": "2026-01-01T00:00:00Z", "tenant": "torino",'
        b' "organization": "unassigned", "data": {"case_id": "x"}}',
        headers={headers.MSG_ID: "not-the-contract"},
    )
    await publish_received(js, "case-after-poison", 3)
    await run_until(runner, seconds=2.0)

    assert app.echoes() == 1
    dlq = await js.pull_subscribe("dlq.bustest", durable="inspect", stream="DLQ")
    dead = await dlq.fetch(2, timeout=2)
    reasons = [m.headers[headers.DLQ_REASON] for m in dead if m.headers]
    assert "not a CloudEvents JSON document" in reasons[0]
    assert "does not match the contract" in reasons[1] and "reference" in reasons[1]
    assert dead[0].data == b"{not json"
    assert dead[0].headers and dead[0].headers[headers.DLQ_SEQUENCE] == "1"
    writer.shutdown()


async def test_a_dead_letter_is_listed_and_redriven_after_correction(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    from sportello_shared.bus.dlq import list_dead_letters, redrive

    writer = Writer("test")
    runner = ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer))
    good = received("case-fixed")
    envelope = wrap(
        good,
        aggregate_id="case-fixed",
        aggregate_version=1,
        source="/t",
        subject="case-fixed",
        time=good.registered_at,
        tenant="torino",
        organization="unassigned",
        traceparent=None,
    )
    broken = envelope.to_bytes().replace(b'"reference"', b'"riferimento"')
    await js.publish("cases.torino.unassigned.received", broken, headers={headers.MSG_ID: "b-1"})
    await run_until(runner, seconds=1.5)
    assert app.echoes() == 0

    [letter] = await list_dead_letters(js, "bustest")
    assert (
        "reference" in letter.reason
        and letter.original_subject == "cases.torino.unassigned.received"
    )
    assert letter.data == broken

    await redrive(js, "bustest", letter.sequence, corrected=envelope.to_bytes())
    await run_until(runner, seconds=1.5)
    assert app.echoes() == 1
    assert await list_dead_letters(js, "bustest") == []
    writer.shutdown()


async def test_an_oversized_payload_is_dead_lettered(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    from sportello_shared.bus.dlq import list_dead_letters

    writer = Writer("test")
    small = ConsumerSpec(
        "bustest", "CASES", "bustest", ("cases.*.*.received",), max_payload_bytes=2048
    )
    runner = ConsumerRunner(js, small, ApplicationProcessor(app, writer))
    await js.publish(
        "cases.torino.unassigned.received", b"x" * 4096, headers={headers.MSG_ID: "big"}
    )
    await publish_received(js, "case-after-big", 4)
    await run_until(runner, seconds=1.5)

    [letter] = await list_dead_letters(js, "bustest")
    assert "4096 bytes is over the 2048-byte limit" in letter.reason
    assert app.echoes() == 1
    writer.shutdown()
