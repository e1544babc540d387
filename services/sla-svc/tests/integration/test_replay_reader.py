"""The replay's reader and `replay_streams` against a real nats-server (no service running)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import nats
import pytest
from nats.js import JetStreamContext
from sportello_contracts import CloudEvent, EventPayload, wrap
from sportello_contracts import cases as c
from sportello_contracts.subjects import CASES_STREAM, SLA_STREAM, case_subject
from sportello_shared.bus.streams import ensure_streams
from sportello_sla.adapters import stream_reader
from sportello_sla.adapters.policy_files import load_catalogue
from sportello_sla.adapters.replaying import replay_streams
from sportello_sla.adapters.stream_reader import read_stream
from sportello_sla.replay import Replayer

from .conftest import assigned, event, received

TENANTS_DIR = Path(__file__).resolve().parents[4] / "deploy" / "tenants"
AS_OF = datetime(2027, 6, 1, tzinfo=UTC)


@pytest.fixture
async def bare_js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(servers=[nats_url])
    js = nc.jetstream()
    await ensure_streams(js)
    yield js
    await nc.close()


async def _read(js: JetStreamContext, stream: str, subject: str, batch: int) -> list[list[bytes]]:
    return [b async for b in read_stream(js, stream, subject, batch=batch)]


async def test_batches_in_stream_order_up_to_the_last_message_at_the_time_of_asking(
    bare_js: JetStreamContext,
) -> None:
    for n in range(23):
        await bare_js.publish(f"sla.pisa.c{n}.deadline_set", str(n).encode())
    batches = [b async for b in read_stream(bare_js, SLA_STREAM, "sla.>", batch=5)]
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    assert [int(raw) for b in batches for raw in b] == list(range(23))

    reading = read_stream(bare_js, SLA_STREAM, "sla.>", batch=5)
    first = await anext(reading)
    for n in range(23, 30):  # published after the read began: not part of this replay
        await bare_js.publish(f"sla.pisa.c{n}.deadline_set", str(n).encode())
    rest = [b async for b in reading]
    assert [int(raw) for b in [first, *rest] for raw in b] == list(range(23))


async def test_a_subject_that_stops_matching_before_the_end_ends_without_waiting(
    bare_js: JetStreamContext,
) -> None:
    for n in range(7):
        await bare_js.publish(f"sla.pisa.c{n}.breached", b"b")
    for n in range(5):
        await bare_js.publish(f"sla.pisa.c{n}.met", b"m")
    started = time.monotonic()
    batches = await _read(bare_js, SLA_STREAM, "sla.*.*.breached", batch=3)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert time.monotonic() - started < stream_reader.IDLE


async def test_an_empty_stream_or_subject_yields_nothing(bare_js: JetStreamContext) -> None:
    assert await _read(bare_js, CASES_STREAM, "cases.>", batch=10) == []
    await bare_js.publish("sla.pisa.c1.met", b"m")
    assert await _read(bare_js, SLA_STREAM, "sla.*.*.breached", batch=10) == []


async def test_a_read_larger_than_what_is_read_ahead_waits_for_the_reader(
    bare_js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The callback blocks on the full queue while the reader is slow: nothing is lost."""
    monkeypatch.setattr(stream_reader, "AHEAD", 1)
    await asyncio.gather(*(bare_js.publish(f"sla.t.c{n}.met", str(n).encode()) for n in range(400)))
    seen: list[int] = []
    async for batch in read_stream(bare_js, SLA_STREAM, "sla.>", batch=10):
        await asyncio.sleep(0.005)
        seen += [int(raw) for raw in batch]
    assert sorted(seen) == list(range(400)) and len(seen) == 400


async def _publish(js: JetStreamContext, tenant: str, payload: EventPayload, org: str) -> bytes:
    case_id = str(getattr(payload, "case_id", "x"))
    envelope: CloudEvent = wrap(
        payload,
        aggregate_id=case_id,
        aggregate_version=1,
        source="/test",
        subject=case_id,
        time=datetime.now(UTC),
        tenant=tenant,
        organization=org,
        traceparent=None,
    )
    raw = envelope.to_bytes()
    await js.publish(case_subject(tenant, org, payload.event), raw, stream=CASES_STREAM)
    return raw


async def test_replay_streams_reads_every_batch_and_matches_a_replay_of_the_same_bytes(
    bare_js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_reader, "BATCH", 4)  # many batches, and many read ahead
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    published: list[bytes] = []
    for n in range(15):
        case_id, at = str(uuid4()), start + timedelta(hours=n)
        tenant, org = ("rescaldina", "urp") if n % 2 else ("pisa", "pisamo")
        published.append(await _publish(bare_js, tenant, received(case_id, at), "unassigned"))
        published.append(await _publish(bare_js, tenant, assigned(case_id, org, at), org))
        if n % 3:
            closed = event(c.CaseClosed, case_id, at + timedelta(days=n), outcome="ok")
            published.append(await _publish(bare_js, tenant, closed, org))
    catalogue = load_catalogue(TENANTS_DIR)
    progress: list[int] = []
    result = await replay_streams(
        bare_js, catalogue, lambda: AS_OF, lambda _, n: progress.append(n)
    )

    direct = Replayer(catalogue)
    direct.feed("CASES", published)
    expected = direct.finish(AS_OF)
    assert result.events == sum(progress) == len(published)
    assert max(progress) == 4 and result.per_stream == {"CASES": len(published)}
    assert (result.digest, result.clocks) == (expected.digest, expected.clocks)
    assert result.clocks >= 15 and result.skipped == result.deferred_unresolved == 0


async def test_deleted_messages_are_skipped_and_a_deleted_tail_ends_the_read(
    bare_js: JetStreamContext,
) -> None:
    for n in range(10):
        await bare_js.publish(f"sla.pisa.c{n}.met", str(n).encode())
    for seq in (2, 9, 10):
        await bare_js.delete_msg(SLA_STREAM, seq)
    started = time.monotonic()
    batches = await _read(bare_js, SLA_STREAM, "sla.>", batch=4)
    assert [int(raw) for b in batches for raw in b] == [0, 2, 3, 4, 5, 6, 7]
    assert time.monotonic() - started < stream_reader.IDLE


async def test_messages_a_slow_reader_drops_are_read_again(
    bare_js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client's buffer holds a few messages only: the server delivers the whole stream while
    the reader is busy, the client drops what overflows (the tail among it), and the read goes on
    after the last message it took, in order, each message once."""
    monkeypatch.setattr(stream_reader, "PENDING_BYTES", 4_000)
    monkeypatch.setattr(stream_reader, "AHEAD", 1)
    monkeypatch.setattr(stream_reader, "IDLE", 0.5)
    body = b"x" * 200
    await asyncio.gather(
        *(bare_js.publish(f"sla.t.c{n}.met", b"%05d" % n + body) for n in range(600))
    )
    seen: list[int] = []
    async for batch in read_stream(bare_js, SLA_STREAM, "sla.>", batch=20):
        await asyncio.sleep(0.05)  # far slower than the server sends
        seen += [int(raw[:5]) for raw in batch]
    assert seen == list(range(600))
