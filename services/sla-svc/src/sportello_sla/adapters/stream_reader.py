"""Reads a JetStream stream from its first message up to its last one at the time of asking."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import NamedTuple

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sportello_shared.logging import get_logger

log = get_logger(__name__)

BATCH = 5_000
# Batches read ahead of the one being processed: enough to keep reading while the previous one
# is processed, few enough that a large stream does not pile up in memory (5,000 case events are
# a few MB). When the queue is full the callback waits, nats-py holds back the flow-control reply
# and the server stops sending: the read never outruns the processing by more than this.
AHEAD = 4
# Without a message for this long the stream is taken to end before `last` (it matched nothing, or
# the rest was deleted or purged): an ordered consumer does not say "no more messages".
IDLE = 2.0
# What the client holds for the consumer before it drops messages ("slow consumer"): nats-py's
# default for JetStream subscriptions. What it drops is read again (`_Reading`).
PENDING_BYTES = 256 * 1024 * 1024
V1_TOKENS = 9


class StreamReadStalled(TimeoutError):
    def __init__(self, stream: str, last: int) -> None:
        super().__init__(f"{stream}: no message for {IDLE}s with more to read up to {last}")


class Position(NamedTuple):
    stream_seq: int
    pending: int  # messages the consumer has still to deliver after this one
    consumer: str
    consumer_seq: int


def position(reply: str) -> Position:
    """Where a message stands, from its JetStream reply subject.

    `Msg.metadata` gives the same, but also builds a timestamp and three objects per message,
    which cost more than the rest of the reading. The subject is `$JS.ACK.<stream>.<consumer>.
    <delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>` (9 tokens), or the newer form
    with a domain and an account hash after `ACK` (and possibly a random token at the end).
    """
    tokens = reply.split(".")
    if len(tokens) == V1_TOKENS:
        return Position(int(tokens[5]), int(tokens[8]), tokens[3], int(tokens[6]))
    return Position(
        int(tokens[Msg.Ack.StreamSeq]),
        int(tokens[Msg.Ack.NumPending]),
        tokens[Msg.Ack.Consumer],
        int(tokens[Msg.Ack.ConsumerSeq]),
    )


async def last_sequence(js: JetStreamContext, stream: str) -> int:
    try:
        return int((await js.stream_info(stream)).state.last_seq)
    except NotFoundError:
        return 0


async def read_stream(
    js: JetStreamContext, stream: str, subject: str, *, batch: int | None = None
) -> AsyncIterator[list[bytes]]:
    """Batches of message payloads, in stream order, through an ordered consumer.

    An ordered consumer is an ephemeral push consumer without acks: a replay changes nothing on
    the server and leaves no consumer behind. It is also the fastest way to read a stream with
    nats-py: a pull `fetch` waits for each message with its own timeout, which made reading
    four times slower than the stream could be delivered.

    A reader that falls behind has its client drop what overflows the subscription's buffer
    ("slow consumer"), and nats-py 2.16 counts a dropped message as received, so its ordered
    consumer does not start again, or starts again after what it dropped. This reader does: a
    message whose consumer sequence does not follow the last one's, a consumer this reader did
    not start, or one that delivered more than arrived once nothing comes for `IDLE` seconds (a
    lost tail) makes it start a new consumer after the last message it took.
    """
    size = batch or BATCH
    last = await last_sequence(js, stream)
    if last == 0:
        return
    reading = _Reading(js, stream, subject, last, size)
    await reading.follow()
    try:
        while True:
            try:
                full = await asyncio.wait_for(reading.ready.get(), timeout=IDLE)
            except TimeoutError:
                if reading.done or reading.ready.qsize():
                    continue
                if await reading.lost_its_tail():
                    continue
                # Everything after what was read up to `last` was deleted or purged.
                reading.done = True
                if rest := reading.take_pending():
                    yield rest
                return
            if full is None:
                return
            if full is AGAIN:
                await reading.follow()
                continue
            yield full
    finally:
        reading.done = True
        await reading.close()


AGAIN: list[bytes] = []  # handed on by the callback: messages were lost, read again


class _Reading:
    """One read of a stream: its consumer (a new one after lost messages), what it received
    and the batches it hands on."""

    def __init__(self, js: JetStreamContext, stream: str, subject: str, last: int, size: int):
        self._js, self._stream, self._subject = js, stream, subject
        self._last, self._size = last, size
        self.ready: asyncio.Queue[list[bytes] | None] = asyncio.Queue(maxsize=AHEAD)
        self._pending: list[bytes] = []
        self._highest = 0  # the stream sequence of the last message taken
        self._consumer, self._consumer_seq = "", 0  # the last message received came from there
        self._lost = False
        self.done = False
        self._subscription: JetStreamContext.PushSubscription | None = None

    async def follow(self) -> None:
        """A new consumer, from the first message or after the last one taken."""
        await self.close()
        self._consumer, self._consumer_seq, self._lost = "", 0, False
        start = self._highest + 1
        policy = DeliverPolicy.BY_START_SEQUENCE if self._highest else DeliverPolicy.ALL
        config = ConsumerConfig(
            deliver_policy=policy, opt_start_seq=start if self._highest else None
        )
        self._subscription = await self._js.subscribe(
            self._subject,
            stream=self._stream,
            cb=self._collect,
            ordered_consumer=True,
            config=config,
            pending_bytes_limit=PENDING_BYTES,
        )

    async def _collect(self, msg: Msg) -> None:
        if self.done or self._lost:
            return
        sequence, remaining, consumer, consumer_seq = position(msg.reply)
        if self._consumer == "":  # the first message of a consumer this reader started
            self._consumer = consumer
        # A gap in the consumer's sequence, or a consumer nats-py started itself (from what it
        # counted as received, dropped messages included): messages may be lost.
        if consumer != self._consumer or consumer_seq != self._consumer_seq + 1:
            self._lost = True
            log.warning("replay.messages_lost", stream=self._stream, after=self._highest)
            if full := self.take_pending():
                await self.ready.put(full)
            await self.ready.put(AGAIN)
            return
        self._consumer_seq = consumer_seq
        if sequence <= self._highest:
            return  # already taken from an earlier consumer
        self._highest = sequence
        if sequence <= self._last:
            self._pending.append(msg.data)
        # nothing left that matches the subject: the rest of the stream is other subjects
        if sequence >= self._last or remaining == 0:
            self.done = True
        if self.done or len(self._pending) >= self._size:
            if full := self.take_pending():
                await self.ready.put(full)
            if self.done:
                await self.ready.put(None)

    def take_pending(self) -> list[bytes]:
        full, self._pending = self._pending, []
        return full

    async def lost_its_tail(self) -> bool:
        """True if the read goes on, with a new consumer after a tail its client dropped.
        Raises if the server still holds messages it does not send."""
        assert self._subscription is not None
        info = await self._subscription.consumer_info()
        if info.num_pending:
            # Not the end of the stream: a replay that silently stopped here would report a
            # state the log does not imply.
            raise StreamReadStalled(self._stream, self._last)
        delivered = info.delivered.consumer_seq if info.delivered else 0
        reached = self._consumer_seq if info.name == self._consumer else 0
        if self._highest >= self._last or not delivered or delivered <= reached:
            return False
        log.warning("replay.tail_lost", stream=self._stream, after=self._highest)
        await self.follow()
        return True

    async def close(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None
