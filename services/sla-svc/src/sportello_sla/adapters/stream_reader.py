"""Reads a JetStream stream from its first message up to its last one at the time of asking."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

BATCH = 5_000
# Batches read ahead of the one being processed: enough to keep reading while the previous one
# is processed, few enough that a large stream does not pile up in memory (5,000 case events are
# a few MB). When the queue is full the callback waits, nats-py holds back the flow-control reply
# and the server stops sending: the read never outruns the processing by more than this.
AHEAD = 4
# Without a message for this long the stream is taken to end before `last` (it matched nothing, or
# the rest was deleted or purged): an ordered consumer does not say "no more messages".
IDLE = 2.0
V1_TOKENS = 9


class StreamReadStalled(TimeoutError):
    def __init__(self, stream: str, last: int) -> None:
        super().__init__(f"{stream}: no message for {IDLE}s with more to read up to {last}")


def position(reply: str) -> tuple[int, int]:
    """(stream sequence, messages still pending) of a message from its JetStream reply subject.

    `Msg.metadata` gives the same, but also builds a timestamp and three objects per message,
    which cost more than the rest of the reading. The subject is `$JS.ACK.<stream>.<consumer>.
    <delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>` (9 tokens), or the newer form
    with a domain and an account hash after `ACK` (and possibly a random token at the end).
    """
    tokens = reply.split(".")
    if len(tokens) == V1_TOKENS:
        return int(tokens[5]), int(tokens[8])
    return int(tokens[Msg.Ack.StreamSeq]), int(tokens[Msg.Ack.NumPending])


async def last_sequence(js: JetStreamContext, stream: str) -> int:
    try:
        return int((await js.stream_info(stream)).state.last_seq)
    except NotFoundError:
        return 0


async def read_stream(
    js: JetStreamContext, stream: str, subject: str, *, batch: int | None = None
) -> AsyncIterator[list[bytes]]:
    """Batches of message payloads, in stream order, through an ordered consumer.

    An ordered consumer is an ephemeral push consumer without acks that the client recreates
    from the last sequence it saw if a message goes missing: a replay changes nothing on the
    server and leaves no consumer behind. It is also the fastest way to read a stream with
    nats-py: a pull `fetch` waits for each message with its own timeout, which made reading
    four times slower than the stream could be delivered.
    """
    size = batch or BATCH
    last = await last_sequence(js, stream)
    if last == 0:
        return
    ready: asyncio.Queue[list[bytes] | None] = asyncio.Queue(maxsize=AHEAD)
    pending: list[bytes] = []
    done = False

    async def collect(msg: Msg) -> None:
        nonlocal pending, done
        if done:
            return
        sequence, remaining = position(msg.reply)
        if sequence <= last:
            pending.append(msg.data)
        # nothing left that matches the subject: the rest of the stream is other subjects
        if sequence >= last or remaining == 0:
            done = True
        if done or len(pending) >= size:
            full, pending = pending, []
            if full:
                await ready.put(full)
            if done:
                await ready.put(None)

    subscription = await js.subscribe(
        subject,
        stream=stream,
        cb=collect,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    try:
        while True:
            try:
                full = await asyncio.wait_for(ready.get(), timeout=IDLE)
            except TimeoutError:
                if done or ready.qsize():
                    continue
                if (await subscription.consumer_info()).num_pending:
                    # Not the end of the stream: a replay that silently stopped here would
                    # report a state the log does not imply.
                    raise StreamReadStalled(stream, last) from None
                # Everything after what was read up to `last` was deleted or purged.
                done = True
                full, pending = pending, []
                if full:
                    yield full
                return
            if full is None:
                return
            yield full
    finally:
        done = True
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
