"""Reads a JetStream stream from its first message up to its last one at the time of asking."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

BATCH = 500


async def last_sequence(js: JetStreamContext, stream: str) -> int:
    try:
        return int((await js.stream_info(stream)).state.last_seq)
    except NotFoundError:
        return 0


async def read_stream(
    js: JetStreamContext, stream: str, subject: str, *, batch: int = BATCH
) -> AsyncIterator[list[bytes]]:
    """Batches of message payloads, in stream order, through an ephemeral consumer without acks
    (a replay changes nothing on the server and leaves no durable consumer behind)."""
    last = await last_sequence(js, stream)
    if last == 0:
        return
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0
    )
    subscription = await js.pull_subscribe(subject, stream=stream, config=config)
    try:
        seen = 0
        while seen < last:
            try:
                messages = await subscription.fetch(batch, timeout=2.0)
            except nats.errors.TimeoutError:
                break  # everything up to `last` was deleted or purged
            payloads = []
            for msg in messages:
                seen = msg.metadata.sequence.stream
                if seen <= last:
                    payloads.append(msg.data)
            if payloads:
                yield payloads
    finally:
        await subscription.unsubscribe()
