"""Keeps the read model from the CASES and SLA streams (shared consumer runner, exactly once)
and tells the open queues (server-sent events) what changed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import nats
import nats.js.errors
from eventsourcing.persistence import Tracking
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sportello_contracts.subjects import CASES_STREAM, SLA_STREAM
from sportello_shared.application import Incoming
from sportello_shared.bus.consumer import ConsumerRunner, ConsumerSpec
from sportello_shared.logging import get_logger

from .readmodel import Change, ReadModel

log = get_logger(__name__)


def consumer_specs(durable: str = "console") -> list[ConsumerSpec]:
    return [
        ConsumerSpec("console", CASES_STREAM, durable, ("cases.>",)),
        ConsumerSpec("console", SLA_STREAM, durable, ("sla.>",)),
    ]


class Broadcaster:
    """In-process fan-out of changes to every open queue page of this replica."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[Change]] = set()

    def publish(self, change: Change) -> None:
        for queue in list(self._subscribers):
            queue.put_nowait(change)

    async def subscribe(self) -> AsyncIterator[Change]:
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=1000)
        self._subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)


class Projection:
    """The consumer runner's Processor: one message, one transaction, then the live push."""

    processes_batches = False

    def __init__(self, model: ReadModel, broadcaster: Broadcaster) -> None:
        self.model = model
        self.broadcaster = broadcaster

    async def is_tracked(self, tracking: Tracking) -> bool:
        return await asyncio.to_thread(self.model.is_tracked, tracking)

    async def tracked(self, trackings: Sequence[Tracking]) -> set[Tracking]:
        return {t for t in trackings if await self.is_tracked(t)}

    async def process(self, incoming: Incoming, tracking: Tracking) -> None:
        envelope = incoming.envelope
        # Only the fields the queues show: the payload's personal data never reaches the model.
        data = {
            **{k: v for k, v in envelope.data.items() if k not in ("citizen", "description")},
            "_tenant": envelope.tenant,
            "_organization": envelope.organization,
        }
        change = await asyncio.to_thread(self.model.apply, envelope.type, data, tracking)
        if change is not None:
            self.broadcaster.publish(change)

    async def letter_key(self, subject: str, data: bytes | None) -> bytes | None:
        """The console keeps no keys: its dead letters keep subject, headers and reason only."""
        return None

    async def process_batch(
        self, batch: Sequence[tuple[Incoming, Tracking]]
    ) -> list[Exception | None]:
        """One transaction per message here too (the runner uses `process` when not batching)."""
        results: list[Exception | None] = []
        for incoming, tracking in batch:
            try:
                await self.process(incoming, tracking)
                results.append(None)
            except Exception as exc:  # reported per message, as the runner expects
                results.append(exc)
        return results


class Feed:
    """The NATS connection and the two consumers, run for the application's lifetime."""

    def __init__(
        self,
        servers: list[str],
        projection: Projection,
        durable: str = "console",
        inbox_prefix: str = "_INBOX",
    ):
        self.servers = servers
        self.inbox_prefix = inbox_prefix
        self.projection = projection
        self.durable = durable
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._nc: NATS | None = None

    async def start(self) -> None:
        self._nc = await nats.connect(
            servers=self.servers,
            inbox_prefix=self.inbox_prefix,
            max_reconnect_attempts=-1,
            connect_timeout=5,
        )
        js: JetStreamContext = self._nc.jetstream()
        if self.projection.model.outdated:  # an older build's model: read both streams again
            for spec in consumer_specs(self.durable):
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await js.delete_consumer(spec.stream, spec.durable)
            log.info("console.read_model.rebuilding", durable=self.durable)
            self.projection.model.outdated = False
        for spec in consumer_specs(self.durable):
            runner = ConsumerRunner(js, spec, self.projection)
            self._tasks.append(asyncio.create_task(runner.run(self._stop)))

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def stop(self) -> None:
        self._stop.set()
        _, pending = await asyncio.wait(self._tasks, timeout=5) if self._tasks else ((), ())
        for task in pending:
            task.cancel()
        if self._nc is not None and not self._nc.is_closed:
            # The consumers have stopped and acked what they committed: flush the acks and
            # leave, as the services' runtime does. (`drain` waited on a pull subscription's
            # undelivered messages for its 30 s timeout: uvicorn was killed after 15 s.)
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=2)
            await self._nc.close()
