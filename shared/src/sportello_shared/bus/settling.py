"""How a consumed message ends: acked, nak'ed for a later retry, or dead-lettered; and the one
table saying which, for a policy's failure (`settlement`), used by the batched and the
per-message paths alike."""

from __future__ import annotations

import enum

import nats.errors
from eventsourcing.persistence import IntegrityError
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client import Counter, Histogram
from sportello_contracts.subjects import dlq_subject

from ..application import Rejected, RetryLater
from ..logging import get_logger
from . import headers
from .consumer_spec import ConsumerSpec, Processor
from .sealing import SEALED, letter_id, letter_subject, seal

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
WAITING = Counter(
    "sportello_consumer_personal_data_waits_total",
    "Times a message waited for intake to answer its personal data request",
    ["consumer"],
)


class Settlement(enum.Enum):
    """What a policy's failure makes of its message."""

    DEAD_LETTER = "dead_letter"  # it can never succeed: keep it and why in the DLQ
    RETRY = "retry"  # it may succeed later: nak with a delay (dead-lettered after max_deliver)
    RECHECK = "recheck"  # a concurrent write: its tracking row says whether it is done already


def settlement(failure: Exception) -> tuple[Settlement, str]:
    """The failure table: error → what becomes of the message, and the reason recorded."""
    if isinstance(failure, Rejected):
        return Settlement.DEAD_LETTER, str(failure)
    if isinstance(failure, RetryLater):
        return Settlement.RETRY, str(failure)
    if isinstance(failure, IntegrityError):
        return Settlement.RECHECK, "concurrent write"
    return Settlement.RETRY, repr(failure)  # a bug or an outage: logged, then retried


class Settling:
    """Ack, nak and dead-letter for the consumer runner (its `_js`, `_spec`, `_processor`)."""

    _js: JetStreamContext
    _spec: ConsumerSpec
    _processor: Processor
    _label: str

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
        await self._delete(msg)

    async def _delete(self, msg: Msg) -> None:
        """Remove a handled message from a stream that must not keep it (`delete_processed`)."""
        if not self._spec.delete_processed:
            return
        meta = msg.metadata
        try:
            await self._js.delete_msg(meta.stream, meta.sequence.stream)
        except nats.errors.Error as exc:  # deleted already (another replica, a redelivery)
            log.debug("consumer.delete_failed", consumer=self._label, error=repr(exc))

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
        subject = letter_subject(letter_id(self._spec.service, meta.stream, meta.sequence.stream))
        try:
            key = await self._processor.letter_key(subject, msg.data)
        except Exception as exc:  # no key, no dead letter: the message waits, sealed nowhere
            log.warning("consumer.dead_letter_key_failed", consumer=self._label, error=repr(exc))
            await msg.nak(delay=30.0)
            return
        data = b""
        if key is not None:
            data = seal(key, subject, msg.data)
            dlq_headers[SEALED] = subject
        await self._js.publish(dlq_subject(self._spec.service), data, headers=dlq_headers)
        log.error(
            "consumer.dead_lettered", consumer=self._label, reason=reason, seq=meta.sequence.stream
        )
        PROCESSED.labels(self._label, "dead_lettered").inc()
        await msg.term()
        await self._delete(msg)


async def in_progress(msg: Msg) -> None:
    """Tell JetStream the message is being worked on: its ack wait starts again, and its
    delivery count does not grow. If NATS is unreachable the message is redelivered later, and
    its tracking row makes the redelivery a duplicate."""
    try:
        await msg.in_progress()
    except (nats.errors.Error, OSError) as exc:
        log.debug("consumer.in_progress_failed", error=repr(exc))
