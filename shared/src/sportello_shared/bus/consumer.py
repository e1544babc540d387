"""The consumer runner: one durable pull consumer, one sequential worker, exactly-once effects.

A fetch returns up to `batch` messages. Each is parsed (the oversized, the malformed and those
that break the contract are dead-lettered at once, unknown types acked and ignored); the
tracking rows of the rest are checked in one query (already processed: ack, no effect). The rest
are committed in batches: one call of `ServiceApplication.process_batch` on the writer thread,
i.e. every message's policy in order, then their effects and one tracking row per message in one
transaction, and only after that commit the acks. A batch holds at most one message per case
(CloudEvent `subject`) and per tracking record: the next one for the same case starts a new batch,
so one case's events keep their order and each sees the effects of the one before. A message
whose policy failed (Rejected, RetryLater, an error) is dead-lettered or nak'ed on its own while
the others commit; one that read what an earlier message of its batch changed is deferred to the
next batch (application.py's docstring gives the reasoning). If the batched transaction fails as
a whole (an integrity error: a concurrent replica, a duplicate; or anything else), its messages
are processed one at a time through the per-message path, which is the behaviour of one
transaction per message: nothing is lost, nothing happens twice.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import nats.errors
from eventsourcing.persistence import IntegrityError, Tracking
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter, Histogram
from pydantic import ValidationError

from ..application import DEFERRED, Incoming, Rejected, RetryLater
from ..contracts import CloudEvent, UnknownEventType, parse_payload
from ..contracts.subjects import dlq_subject
from ..logging import get_logger
from ..tracing import trace_id
from . import headers

__all__ = ["ConsumerRunner", "ConsumerSpec", "Rejected", "RetryLater", "tracking_for"]

log = get_logger(__name__)

PROCESSED = Counter(
    "sportello_consumer_messages_total", "Messages handled, by outcome", ["consumer", "outcome"]
)
BATCHES = Histogram(
    "sportello_consumer_batch_messages",
    "Messages committed per transaction (one observation per committed batch)",
    ["consumer"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
FALLBACKS = Counter(
    "sportello_consumer_batch_fallbacks_total",
    "Batched transactions that failed, whose messages were then processed one at a time",
    ["consumer"],
)


class Processor(Protocol):
    """What a service gives the runner: exact tracking checks and the processing itself."""

    async def is_tracked(self, tracking: Tracking) -> bool: ...
    async def process(self, incoming: Incoming, tracking: Tracking) -> None: ...

    @property
    def processes_batches(self) -> bool: ...
    async def tracked(self, trackings: Sequence[Tracking]) -> set[Tracking]: ...
    async def process_batch(
        self, batch: Sequence[tuple[Incoming, Tracking]]
    ) -> list[Exception | None]: ...


@dataclass(frozen=True)
class _Item:
    msg: Msg
    incoming: Incoming
    tracking: Tracking
    context: dict[str, object]

    @property
    def case(self) -> str:
        return self.incoming.envelope.subject


@dataclass(frozen=True)
class ConsumerSpec:
    service: str
    stream: str
    durable: str
    filter_subjects: tuple[str, ...]
    max_deliver: int = 10
    ack_wait: float = 30.0
    batch: int = 50
    ignore_unknown_types: bool = True
    max_payload_bytes: int = 256 * 1024

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subject=self.filter_subjects[0] if len(self.filter_subjects) == 1 else None,
            filter_subjects=list(self.filter_subjects) if len(self.filter_subjects) > 1 else None,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait,
            max_ack_pending=1000,
        )


def tracking_for(msg: Msg) -> Tracking:
    """Track by the producer's own notification id when it sent one, else by stream sequence.

    The producer's id survives a republish after the duplicate window; a stream sequence does not,
    so it is used only for messages from outside (platforms publishing on `ingest.>`).
    """
    msg_headers = msg.headers or {}
    producer = msg_headers.get(headers.PRODUCER)
    notification_id = msg_headers.get(headers.NOTIFICATION_ID)
    if producer and notification_id and notification_id.isdigit():
        return Tracking(producer, int(notification_id))
    return Tracking(f"stream:{msg.metadata.stream}", msg.metadata.sequence.stream)


class ConsumerRunner:
    def __init__(self, js: JetStreamContext, spec: ConsumerSpec, processor: Processor) -> None:
        self._js = js
        self._spec = spec
        self._processor = processor
        self._label = f"{spec.service}:{spec.durable}"

    async def run(self, stop: asyncio.Event) -> None:
        subscription = await self._subscribe()
        while not stop.is_set():
            try:
                messages = await subscription.fetch(self._spec.batch, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                continue  # nothing new within the long poll
            except (nats.errors.Error, OSError) as exc:
                log.warning("consumer.fetch_failed", consumer=self._label, error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            await self.handle_batch(messages)

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        while True:
            try:
                # Create or update: the consumer's filter follows the code that reads it.
                await self._js.add_consumer(self._spec.stream, self._spec.config())
                return await self._js.pull_subscribe_bind(
                    durable=self._spec.durable, stream=self._spec.stream
                )
            except (nats.errors.Error, OSError) as exc:
                log.warning("consumer.subscribe_failed", consumer=self._label, error=repr(exc))
                await asyncio.sleep(1.0)

    async def handle(self, msg: Msg) -> None:
        await self.handle_batch([msg])

    async def handle_batch(self, messages: Sequence[Msg]) -> None:
        """Everything one fetch returned; each message is acked only after its commit."""
        items: list[_Item] = []
        for msg in messages:
            item = await self._admit(msg)
            if item is not None:
                items.append(item)
        if not items:
            return
        if not self._processor.processes_batches:
            for item in items:
                await self._process(item.msg, item.incoming, item.tracking, item.context)
            return
        try:
            seen = await self._processor.tracked([item.tracking for item in items])
        except Exception as exc:
            # The per-message path checks each message again and retries what it cannot check.
            log.warning("consumer.tracked_failed", consumer=self._label, error=repr(exc))
            seen = set()
        pending: deque[_Item] = deque()
        for item in items:
            if item.tracking in seen:
                await self._ack(item.msg, "duplicate")
            else:
                pending.append(item)
        committed: set[Tracking] = set()
        while pending:
            batch = await self._next_batch(pending, committed)
            if batch:
                await self._process_batch(batch, pending, committed)

    async def _admit(self, msg: Msg) -> _Item | None:
        """Parse one message; what cannot be processed is dead-lettered or acked here."""
        try:
            incoming = self._parse(msg)
        except Rejected as exc:
            await self._dead_letter(msg, str(exc))
            return None
        if incoming is None:
            await self._ack(msg, "ignored")
            return None
        context: dict[str, object] = {
            "consumer": self._label,
            "event_id": incoming.envelope.id,
            "case_id": incoming.envelope.subject,
            "trace_id": trace_id(incoming.envelope.traceparent),
        }
        return _Item(msg, incoming, tracking_for(msg), context)

    async def _next_batch(self, pending: deque[_Item], committed: set[Tracking]) -> list[_Item]:
        """From the front of `pending`: until a second message for a case or a tracking record."""
        batch: list[_Item] = []
        cases: set[str] = set()
        trackings: set[Tracking] = set()
        while pending:
            item = pending[0]
            if item.tracking in committed:
                # A copy of a message that an earlier batch of this fetch committed.
                pending.popleft()
                await self._ack(item.msg, "duplicate")
                continue
            if item.case in cases or item.tracking in trackings:
                break
            pending.popleft()
            batch.append(item)
            cases.add(item.case)
            trackings.add(item.tracking)
        return batch

    async def _process_batch(
        self, batch: list[_Item], pending: deque[_Item], committed: set[Tracking]
    ) -> None:
        try:
            outcomes = await self._processor.process_batch(
                [(item.incoming, item.tracking) for item in batch]
            )
        except Exception as exc:
            # An integrity error (another replica, a duplicate) or any other failure: nothing or
            # everything committed. One at a time, each message finds its tracking row or not.
            FALLBACKS.labels(self._label).inc()
            log.warning(
                "consumer.batch_fallback",
                consumer=self._label,
                messages=len(batch),
                error=repr(exc),
            )
            for item in batch:
                await self._process(item.msg, item.incoming, item.tracking, item.context)
            return
        done = [item for item, outcome in zip(batch, outcomes, strict=True) if outcome is None]
        if done:
            BATCHES.labels(self._label).observe(len(done))
        deferred: list[_Item] = []
        for item, outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                committed.add(item.tracking)
                log.debug("consumer.processed", **item.context)
                await self._ack(item.msg, "processed")
            elif outcome is DEFERRED:
                deferred.append(item)
            else:
                await self._failed(item, outcome)
        pending.extendleft(reversed(deferred))

    async def _failed(self, item: _Item, failure: Exception) -> None:
        """A policy's failure in a batch: what the per-message path does with the same error."""
        if isinstance(failure, Rejected):
            await self._dead_letter(item.msg, str(failure))
        elif isinstance(failure, RetryLater):
            await self._retry(item.msg, str(failure), item.context)
        elif isinstance(failure, IntegrityError):
            await self._process(item.msg, item.incoming, item.tracking, item.context)
        else:
            log.error("consumer.process_failed", exc_info=failure, **item.context)
            await self._retry(item.msg, repr(failure), item.context)

    def _parse(self, msg: Msg) -> Incoming | None:
        if len(msg.data) > self._spec.max_payload_bytes:
            limit = self._spec.max_payload_bytes
            raise Rejected(f"payload of {len(msg.data)} bytes is over the {limit}-byte limit")
        try:
            envelope = CloudEvent.from_bytes(msg.data)
            return Incoming(envelope, parse_payload(envelope), msg.subject)
        except UnknownEventType as exc:
            if self._spec.ignore_unknown_types:
                return None
            raise Rejected(f"unknown event type {exc}") from exc
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                raise Rejected(f"not a CloudEvents JSON document: {_errors(exc)}") from exc
            raise Rejected(f"does not match the contract: {_errors(exc)}") from exc
        except ValueError as exc:
            raise Rejected(f"not a CloudEvents JSON document: {exc}") from exc

    async def _process(
        self, msg: Msg, incoming: Incoming, tracking: Tracking, context: dict[str, object]
    ) -> None:
        try:
            if await self._processor.is_tracked(tracking):
                await self._ack(msg, "duplicate")
                return
            await self._processor.process(incoming, tracking)
        except IntegrityError:
            if await self._processor.is_tracked(tracking):
                await self._ack(msg, "duplicate")
            else:
                await self._retry(msg, "concurrent write", context)
        except Rejected as exc:
            await self._dead_letter(msg, str(exc))
        except RetryLater as exc:
            await self._retry(msg, str(exc), context)
        except Exception as exc:
            log.exception("consumer.process_failed", **context)
            await self._retry(msg, repr(exc), context)
        else:
            log.debug("consumer.processed", **context)
            await self._ack(msg, "processed")

    async def _retry(self, msg: Msg, reason: str, context: dict[str, object]) -> None:
        delivered = msg.metadata.num_delivered
        if delivered >= self._spec.max_deliver:
            await self._dead_letter(msg, f"gave up after {delivered} deliveries: {reason}")
            return
        PROCESSED.labels(self._label, "retried").inc()
        log.warning("consumer.retry", reason=reason, delivered=delivered, **context)
        await msg.nak(delay=min(0.5 * 2**delivered, 30.0))

    async def _ack(self, msg: Msg, outcome: str) -> None:
        PROCESSED.labels(self._label, outcome).inc()
        await msg.ack()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        """Keep the message and why it failed in the DLQ stream, then let the consumer go on."""
        meta = msg.metadata
        dlq_headers = dict(msg.headers or {})
        dlq_headers.update(
            {
                headers.MSG_ID: f"{self._spec.service}:{meta.stream}:{meta.sequence.stream}",
                headers.DLQ_REASON: reason[:1000],
                headers.DLQ_SERVICE: self._spec.service,
                headers.DLQ_SUBJECT: msg.subject,
                headers.DLQ_STREAM: meta.stream,
                headers.DLQ_SEQUENCE: str(meta.sequence.stream),
            }
        )
        await self._js.publish(dlq_subject(self._spec.service), msg.data, headers=dlq_headers)
        log.error(
            "consumer.dead_lettered", consumer=self._label, reason=reason, seq=meta.sequence.stream
        )
        PROCESSED.labels(self._label, "dead_lettered").inc()
        await msg.term()


def _errors(exc: ValidationError) -> str:
    return json.dumps(
        [{"loc": ".".join(map(str, e["loc"])), "msg": e["msg"]} for e in exc.errors()[:5]]
    )
