"""The outbox relay: an Application's notification log, in order, onto JetStream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nats.errors
from eventsourcing.persistence import Notification, Tracking
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge

from ..application import ServiceApplication
from ..contracts import CloudEvent, EventPayload, wrap
from ..logging import get_logger
from ..tracing import trace_id
from . import headers
from .leases import Lease
from .streams import stream_for

RELAY_POSITION = "nats-relay"
log = get_logger(__name__)

RELAYED = Counter("sportello_relay_published_total", "Events published by the relay", ["service"])
DUPLICATES = Counter(
    "sportello_relay_duplicates_total", "Publishes JetStream recognised as duplicates", ["service"]
)
LAG = Gauge("sportello_relay_lag", "Stored notifications not yet relayed", ["service"])


@dataclass(frozen=True)
class Outgoing:
    """A stored event mapped to its public form: never the raw stored state."""

    subject: str
    event: CloudEvent


ToPublic = Callable[[Any], Outgoing | None]


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


class Relay:
    """Follows the notification log and publishes each public event with its `Nats-Msg-Id`.

    The position is recorded (as tracking row `nats-relay` in the service's own database) only
    after JetStream acknowledged every event up to it. A crash in between republishes: JetStream
    drops duplicates inside its window and consumers drop the rest by tracking record.
    """

    def __init__(
        self,
        app: ServiceApplication,
        js: JetStreamContext,
        to_public: ToPublic,
        lease: Lease,
        *,
        batch_size: int = 200,
        poll_interval: float = 0.2,
    ) -> None:
        self._app = app
        self._js = js
        self._to_public = to_public
        self._lease = lease
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self.is_active = False
        app.on_saved(self.wake)

    def wake(self) -> None:
        """Thread-safe: the writer thread calls it after each commit."""
        self._loop.call_soon_threadsafe(self._wakeup.set)

    async def run(self, stop: asyncio.Event) -> None:
        await self._lease.acquire()
        self.is_active = True
        log.info("relay.active")
        try:
            while not stop.is_set():
                if await self.relay_pending():
                    continue
                if not await self._lease.still_held():
                    log.warning("relay.lease_lost")
                    self.is_active = False
                    await self._lease.acquire()
                    self.is_active = True
                await self._idle(stop)
        finally:
            self.is_active = False
            await self._lease.release()

    async def _idle(self, stop: asyncio.Event) -> None:
        self._wakeup.clear()
        waiters = {asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(
            waiters, timeout=self._poll_interval, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()

    async def relay_pending(self) -> int:
        """Publish the next batch; returns how many notifications it covered."""
        recorder = self._app.recorder
        position = await asyncio.to_thread(recorder.max_tracking_id, RELAY_POSITION) or 0
        notifications = await asyncio.to_thread(
            recorder.select_notifications,
            start=position,
            limit=self._batch_size,
            inclusive_of_start=False,
        )
        if not notifications:
            LAG.labels(self._app.name).set(0)
            return 0
        for notification in notifications:
            await self._relay(notification)
        await asyncio.to_thread(
            recorder.insert_tracking, Tracking(RELAY_POSITION, notifications[-1].id)
        )
        return len(notifications)

    async def _relay(self, notification: Notification) -> None:
        outgoing = self._to_public(self._app.mapper.to_domain_event(notification))
        if outgoing is None:
            return
        message_headers = {
            headers.MSG_ID: outgoing.event.id,
            headers.PRODUCER: self._app.name,
            headers.NOTIFICATION_ID: str(notification.id),
        }
        if outgoing.event.traceparent:
            message_headers[headers.TRACEPARENT] = outgoing.event.traceparent
        ack = await self._publish_until_acked(outgoing, message_headers)
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
        self, outgoing: Outgoing, message_headers: dict[str, str]
    ) -> Any:
        delay = 0.05
        while True:
            try:
                return await self._js.publish(
                    outgoing.subject,
                    outgoing.event.to_bytes(),
                    stream=stream_for(outgoing.subject),
                    headers=message_headers,
                    timeout=5,
                )
            except (TimeoutError, nats.errors.Error, OSError) as exc:
                # Same message, same Msg-Id, until JetStream says it has it: order is kept.
                log.warning("relay.publish_retry", event_id=outgoing.event.id, error=repr(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
