"""The outbox relay: an Application's notification log, in order, onto JetStream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nats.errors
from eventsourcing.persistence import Notification
from nats.js import JetStreamContext
from prometheus_client import Counter
from sportello_contracts import CloudEvent, EventPayload, wrap
from sportello_contracts.subjects import dlq_subject

from ..application import ServiceApplication
from ..follower import Batch, LogFollower
from ..logging import get_logger
from ..tracing import trace_id
from . import headers
from .leases import Lease
from .streams import stream_for

RELAY_POSITION = "nats-relay"
log = get_logger(__name__)

RELAYED = Counter("sportello_relay_published_total", "Events published by the relay", ["service"])
UNPUBLISHABLE = Counter(
    "sportello_relay_unpublishable_total", "Stored events dead-lettered by the relay", ["service"]
)
DUPLICATES = Counter(
    "sportello_relay_duplicates_total", "Publishes JetStream recognised as duplicates", ["service"]
)


@dataclass(frozen=True)
class Outgoing:
    """A stored event mapped to its public form: never the raw stored state."""

    subject: str
    event: CloudEvent


# One stored event may be published in several versions during a deprecation period (v1 and v2).
ToPublic = Callable[[Any], Outgoing | Sequence[Outgoing] | None]


def outgoing_for(
    domain_event: Any,
    payload: EventPayload,
    *,
    subject: str,
    source: str,
    traceparent: str | None,
) -> Outgoing:
    """The public form of one stored event; its id is `<aggregate id>:<version>`.

    The CloudEvents `subject` is the case id (`payload.case_id`); tenant and organization come
    from the NATS subject so the two can never disagree.
    """
    _, tenant, organization_or_event, *_ = subject.split(".")
    organization = organization_or_event if subject.count(".") == 3 else "none"
    envelope = wrap(
        payload,
        aggregate_id=domain_event.originator_id,
        aggregate_version=domain_event.originator_version,
        source=source,
        subject=str(getattr(payload, "case_id", domain_event.originator_id)),
        time=domain_event.timestamp,
        tenant=tenant,
        organization=organization,
        traceparent=traceparent,
    )
    return Outgoing(subject, envelope)


def msg_id(event: CloudEvent) -> str:
    """The event id; a later version of the same event gets its own, so both pass deduplication."""
    version = event.type.rsplit(".v", 1)[1]
    return event.id if version == "1" else f"{event.id}:v{version}"


class Relay(LogFollower):
    """Follows the notification log and publishes each public event with its `Nats-Msg-Id`.

    The position is recorded (as tracking row `nats-relay` in the service's own database) only
    after JetStream acknowledged every event up to it, and at most once a second
    (`record_interval`): a crash in between republishes at most that second's events, which
    JetStream drops as duplicates inside its window (5 minutes) and consumers by tracking
    record. Recording after every batch cost a committed transaction per batch, several per case.
    """

    position_name = RELAY_POSITION
    record_interval = 1.0
    lease_check_interval = 1.0  # idempotent work: see follower.py
    # every hop after the relay waits on it: it lingers (RELAY_LINGER) only while commits keep
    # coming, so that a busy writer's commits of that time are one read and one round of publishes
    linger_while_busy = True

    def __init__(
        self,
        app: ServiceApplication,
        js: JetStreamContext,
        to_public: ToPublic,
        lease: Lease,
        *,
        batch_size: int = 200,
        poll_interval: float = 0.2,
        safety_poll: float = 5.0,
        record_interval: float | None = None,
        linger: float = 0.0,
    ) -> None:
        super().__init__(
            app,
            lease,
            batch_size=batch_size,
            poll_interval=poll_interval,
            safety_poll=safety_poll,
            record_interval=record_interval,
        )
        self._js = js
        self._to_public = to_public
        self.linger = linger

    async def relay_pending(self) -> int:
        """Publish the next batch and record the position now (tests, drills)."""
        covered = await self.follow_once()
        await self.record_position()
        return covered

    async def handle_batch(self, batch: Batch) -> None:
        """Publish the batch in rounds: round n holds the n-th event of each case in the batch;
        a round's publishes are in flight together, and all its acks are in before the next.

        Waiting for each ack in turn capped the relay near 400 events/s. A round never holds two
        events of one case, so even when a publish must be retried a case's events reach the
        stream in the order they were recorded; events of different cases have no order to keep.
        The position is recorded only after the whole batch was acknowledged, as before.
        """
        rounds: list[list[tuple[Notification, Outgoing]]] = []
        per_case: dict[str, int] = {}
        for notification, domain_event in batch:
            for outgoing in await self._public_forms(notification, domain_event):
                n = per_case.get(outgoing.event.subject, 0)
                per_case[outgoing.event.subject] = n + 1
                if n == len(rounds):
                    rounds.append([])
                rounds[n].append((notification, outgoing))
        for publishes in rounds:
            await asyncio.gather(*(self._publish(n, o) for n, o in publishes))

    async def _public_forms(self, notification: Notification, domain_event: Any) -> list[Outgoing]:
        try:
            public = self._to_public(domain_event)
        except Exception as exc:
            # A stored event that no longer fits the contract must not stop every later one.
            await self._dead_letter(notification, exc)
            return []
        if public is None:
            return []
        return [public] if isinstance(public, Outgoing) else list(public)

    async def _publish(self, notification: Notification, outgoing: Outgoing) -> None:
        message_headers = {
            headers.MSG_ID: msg_id(outgoing.event),
            headers.PRODUCER: self._app.name,
            headers.NOTIFICATION_ID: str(notification.id),
        }
        if outgoing.event.traceparent:
            message_headers[headers.TRACEPARENT] = outgoing.event.traceparent
        ack = await self._publish_until_acked(
            outgoing.subject, outgoing.event.to_bytes(), message_headers
        )
        RELAYED.labels(self._app.name).inc()
        if ack.duplicate:
            DUPLICATES.labels(self._app.name).inc()
        log.debug(
            "relay.published",
            event_id=outgoing.event.id,
            case_id=outgoing.event.subject,
            trace_id=trace_id(outgoing.event.traceparent),
            seq=ack.seq,
        )

    async def _publish_until_acked(
        self, subject: str, data: bytes, message_headers: dict[str, str]
    ) -> Any:
        delay = 0.05
        while True:
            try:
                return await self._js.publish(
                    subject,
                    data,
                    stream=stream_for(subject),
                    headers=message_headers,
                    # an ack takes milliseconds; a publish caught by a dying stream leader is
                    # retried (same Msg-Id, deduplicated) after 2 s rather than 5, so that the
                    # relay resumes soon after the re-election (the stream-leader scenario
                    # allows it 2 + 1 + 1 s after the new leader is named)
                    timeout=2,
                )
            except (TimeoutError, nats.errors.Error, OSError) as exc:
                # Same message, same Msg-Id, until JetStream says it has it: order is kept.
                log.warning(
                    "relay.publish_retry", msg_id=message_headers[headers.MSG_ID], error=repr(exc)
                )
                await asyncio.sleep(delay)
                # at most a second apart: after a re-election the next try is at most 1 s late
                delay = min(delay * 2, 1.0)

    async def _dead_letter(self, notification: Notification, error: Exception) -> None:
        log.exception("relay.unpublishable", notification_id=notification.id)
        UNPUBLISHABLE.labels(self._app.name).inc()
        record = {
            "notification_id": notification.id,
            "originator_id": str(notification.originator_id),
            "originator_version": notification.originator_version,
            "topic": notification.topic,
            "error": repr(error)[:1000],
        }
        service = self._app.name
        await self._publish_until_acked(
            dlq_subject(service),
            json.dumps(record).encode(),
            {
                headers.MSG_ID: f"{service}:unpublishable:{notification.id}",
                headers.DLQ_REASON: f"cannot map stored event to the contract: {error!r}"[:1000],
                headers.DLQ_SERVICE: service,
            },
        )
