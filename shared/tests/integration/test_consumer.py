"""The consumer runner against a real nats-server: one effect per event, poison to the DLQ."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

import nats
import pytest
from eventsourcing.persistence import Tracking
from nats.js import JetStreamContext
from sportello_contracts import wrap
from sportello_shared.application import Incoming
from sportello_shared.bus import headers
from sportello_shared.bus.consumer import ConsumerRunner, ConsumerSpec
from sportello_shared.bus.sealing import SEALED, unseal
from sportello_shared.persistence import ensure_schema
from sportello_shared.personal_data import ERASED_TEXT
from sportello_shared.settings import ServiceSettings
from sportello_shared.writer import ApplicationProcessor, Writer

from .conftest import BusTestApplication, received

SPEC = ConsumerSpec(
    "bustest", "CASES", "bustest", ("cases.*.*.received",), max_deliver=3, ack_wait=2
)


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
    # sealed: the DLQ keeps subject, headers and reason; the payload only under the app's key
    assert dead[0].headers and dead[0].headers[headers.DLQ_SEQUENCE] == "1"
    assert b"not json" not in dead[0].data
    sealed_under = dead[0].headers[SEALED]
    key = app.letter_key(sealed_under, None)
    assert key is not None and unseal(key, sealed_under, dead[0].data) == b"{not json"
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

    async def key_of(subject: str) -> bytes | None:
        return app.letter_key(subject, None)

    [letter] = await list_dead_letters(js, "bustest", key_of=key_of)
    assert (
        "reference" in letter.reason
        and letter.original_subject == "cases.torino.unassigned.received"
    )
    assert letter.data == broken
    [still_sealed] = await list_dead_letters(js, "bustest")  # without the key: nothing readable
    assert not still_sealed.readable and still_sealed.view()["body"] == ERASED_TEXT

    await redrive(js, "bustest", letter.sequence, corrected=envelope.to_bytes())
    await run_until(runner, seconds=1.5)
    assert app.echoes() == 1
    assert await list_dead_letters(js, "bustest") == []
    writer.shutdown()


async def test_a_dead_letter_whose_key_was_erased_is_unreadable_and_not_redriven(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    from sportello_shared.bus.dlq import DeadLetterErased, list_dead_letters, redrive

    writer = Writer("test")
    runner = ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer))
    await js.publish(
        "cases.torino.unassigned.received", b"{Mario Rossi", headers={headers.MSG_ID: "p-1"}
    )
    await run_until(runner, seconds=1.5)
    raw = await js.get_msg("DLQ", seq=1)
    assert raw.headers is not None
    app.vault.erase([raw.headers[SEALED]], "test", datetime.now(UTC))

    async def key_of(subject: str) -> bytes | None:
        return app.letter_key(subject, None)

    [letter] = await list_dead_letters(js, "bustest", key_of=key_of)
    assert not letter.readable and letter.view()["body"] == ERASED_TEXT
    with pytest.raises(DeadLetterErased):
        await redrive(js, "bustest", letter.sequence, key_of=key_of)
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


async def test_a_reaction_needing_personal_data_waits_for_intake_then_gets_it(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    """Nobody answers on personal.<tenant>.<requester>: the message waits, kept in progress
    past its ack wait and past what max_deliver would allow, neither redelivered nor
    dead-lettered; once intake answers, the policy runs with what it answered, never without."""
    from sportello_contracts.personal import PersonalAnswer, PersonalRequest
    from sportello_shared.bus.dlq import list_dead_letters
    from sportello_shared.bus.personal import PersonalDataClient

    writer = Writer("test")
    spec = ConsumerSpec(
        "bustest",
        "CASES",
        "bustest",
        ("cases.*.*.received",),
        personal_data=frozenset({"received"}),
        requester="routing",
        max_deliver=2,
        ack_wait=2,
    )
    nc = js._nc  # the test's own connection
    seen: list[PersonalAnswer | None] = []
    original = app.react

    def react(payload, incoming, processing_event):  # type: ignore[no-untyped-def]
        seen.append(incoming.personal)
        original(payload, incoming, processing_event)

    app.react = react  # type: ignore[method-assign]
    runner = ConsumerRunner(
        js, spec, ApplicationProcessor(app, writer), personal=PersonalDataClient(nc, "routing", 1)
    )
    await publish_received(js, "case-needs-intake", 1)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(6.0)  # three ack waits of silence
    assert app.echoes() == 0 and seen == []
    info = await js.consumer_info("CASES", "bustest")
    assert info.num_ack_pending == 1 and info.num_redelivered == 0, info
    assert await list_dead_letters(js, "bustest") == []

    asked: list[str] = []

    async def intake(msg: nats.aio.msg.Msg) -> None:
        request = PersonalRequest.model_validate_json(msg.data)
        asked.append(msg.subject)
        answer = PersonalAnswer(
            case_id=request.case_id, reference="TO-1", tenant="torino", description="buca"
        )
        await msg.respond(answer.model_dump_json().encode())

    subscription = await nc.subscribe("personal.*.*", cb=intake)
    await asyncio.sleep(12.0)  # the wait between asks has grown to at most 10 s
    stop.set()
    await asyncio.wait_for(task, 5)
    await subscription.unsubscribe()
    assert app.echoes() == 1
    assert asked and set(asked) == {"personal.torino.routing"}
    assert [answer.description if answer else None for answer in seen] == ["buca"]
    writer.shutdown()


async def test_a_replica_stopping_while_it_waits_for_intake_hands_the_message_back(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    from sportello_shared.bus.personal import PersonalDataClient

    writer = Writer("test")
    spec = ConsumerSpec(
        "bustest",
        "CASES",
        "bustest",
        ("cases.*.*.received",),
        personal_data=frozenset({"received"}),
        requester="routing",
    )
    runner = ConsumerRunner(
        js,
        spec,
        ApplicationProcessor(app, writer),
        personal=PersonalDataClient(js._nc, "routing", 1),
    )
    await publish_received(js, "case-handed-back", 1)
    started = asyncio.get_running_loop().time()
    await run_until(runner, seconds=2.0)  # the stop ends the wait at once
    assert asyncio.get_running_loop().time() - started < 2.0 + 2.5
    info = await js.consumer_info("CASES", "bustest")
    assert app.echoes() == 0 and info.num_pending + info.num_ack_pending == 1  # nak'ed, kept
    writer.shutdown()


async def test_a_stream_that_must_not_keep_its_messages_has_them_deleted_once_handled(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    writer = Writer("test")
    spec = ConsumerSpec(
        "bustest", "CASES", "bustest", ("cases.*.*.received",), delete_processed=True
    )
    runner = ConsumerRunner(js, spec, ApplicationProcessor(app, writer))
    await publish_received(js, "case-to-forget", 1)
    await js.publish("cases.torino.unassigned.received", b"{poison", headers={headers.MSG_ID: "x"})
    await run_until(runner, seconds=1.5)
    assert app.echoes() == 1
    info = await js.stream_info("CASES")
    assert info.state.messages == 0  # processed and dead-lettered ones both gone
    writer.shutdown()


async def test_an_existing_consumer_takes_the_code_s_narrower_filter_and_keeps_its_place(
    app: BusTestApplication, js: JetStreamContext
) -> None:
    """An upgrade that narrows a durable consumer's filter (sla-svc's of CASES was `cases.>`):
    the server's consumer is updated in place, what it had acknowledged is not delivered again,
    and what the new filter leaves out is never delivered (not even to the dead letters)."""
    wide = dataclasses.replace(SPEC, filter_subjects=("cases.>",))
    narrow = dataclasses.replace(SPEC, filter_subjects=("cases.*.*.received", "cases.*.*.assigned"))
    writer = Writer("test")
    await publish_received(js, "case-1", 1)
    await run_until(ConsumerRunner(js, wide, ApplicationProcessor(app, writer)), seconds=2.0)
    assert app.echoes() == 1

    await js.publish("cases.torino.urp.handed_over", b"not for this consumer")
    await publish_received(js, "case-2", 2)
    await run_until(ConsumerRunner(js, narrow, ApplicationProcessor(app, writer)), seconds=2.0)

    info = await js.consumer_info("CASES", SPEC.durable)
    assert sorted(info.config.filter_subjects or []) == sorted(narrow.filter_subjects)
    assert not info.config.filter_subject
    assert app.echoes() == 2  # case-1 once, case-2 once
    assert (info.num_pending, info.num_ack_pending, info.num_redelivered) == (0, 0, 0)
    assert (await js.stream_info("DLQ")).state.messages == 0
    writer.shutdown()
