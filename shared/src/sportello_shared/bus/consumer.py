"""The consumer runner: one durable pull consumer, one sequential worker, exactly-once effects."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Protocol

import nats.errors
from eventsourcing.persistence import IntegrityError, Tracking
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter
from pydantic import ValidationError

from ..application import Incoming, Rejected, RetryLater
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


class Processor(Protocol):
    """What a service gives the runner: an exact tracking check and the processing itself."""

    async def is_tracked(self, tracking: Tracking) -> bool: ...
    async def process(self, incoming: Incoming, tracking: Tracking) -> None: ...


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
            for msg in messages:
                await self.handle(msg)

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
        try:
            incoming = self._parse(msg)
        except Rejected as exc:
            await self._dead_letter(msg, str(exc))
            return
        if incoming is None:
            await self._ack(msg, "ignored")
            return
        tracking = tracking_for(msg)
        context: dict[str, object] = {
            "consumer": self._label,
            "event_id": incoming.envelope.id,
            "case_id": incoming.envelope.subject,
            "trace_id": trace_id(incoming.envelope.traceparent),
        }
        await self._process(msg, incoming, tracking, context)

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
