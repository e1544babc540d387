"""The base of every service's eventsourcing Application, and its single writer thread."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import Recording, Tracking
from eventsourcing.projection import EventSourcedProjection

from .contracts import CloudEvent, EventPayload
from .persistence import is_tracked

T = TypeVar("T")


class RetryLater(Exception):
    """The event cannot be processed yet (e.g. it overtook the event it depends on)."""


class Rejected(Exception):
    """The event can never be processed: it is dead-lettered with this reason."""


@dataclass(frozen=True)
class Incoming:
    """A public event received from the bus, as the application's policy sees it."""

    envelope: CloudEvent
    payload: EventPayload
    subject: str = ""  # the NATS subject: authenticated by NATS permissions, unlike the body


class ServiceApplication(EventSourcedProjection[UUID]):
    """An Application that also processes public events with a tracking record per message.

    Subclasses implement `react(payload, incoming, processing_event)` and collect new aggregate
    events on `processing_event`; eventsourcing records them with the tracking row in one
    transaction, which is what makes each upstream event's effect happen exactly once.
    """

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._save_listeners: list[Callable[[], None]] = []

    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        assert isinstance(domain_event, Incoming)
        self.react(domain_event.payload, domain_event, processing_event)

    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Public events a service does not react to are tracked and otherwise ignored."""

    def process_incoming(self, incoming: Incoming, tracking: Tracking) -> None:
        self.process_event(incoming, tracking)  # type: ignore[arg-type]

    def is_tracked(self, tracking: Tracking) -> bool:
        return is_tracked(self.recorder, tracking)

    def on_saved(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Called (from the writer thread) after each commit: wakes followers without polling.

        Returns the function that removes the listener again.
        """
        self._save_listeners.append(listener)
        return lambda: self._save_listeners.remove(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        super()._notify(recordings)
        if recordings:
            for listener in list(self._save_listeners):
                listener()


class Writer:
    """The one thread that writes through an Application.

    eventsourcing is synchronous; FastAPI and nats-py are asyncio. Commands from both sides are
    queued here so the event loop never blocks on the database and writes never race.
    """

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-writer")

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: context.run(fn, *args, **kwargs))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


class ApplicationProcessor:
    """Bridges the consumer runner to an Application: reads off-thread, writes on the writer."""

    def __init__(self, app: ServiceApplication, writer: Writer) -> None:
        self._app = app
        self._writer = writer

    async def is_tracked(self, tracking: Tracking) -> bool:
        return await asyncio.to_thread(self._app.is_tracked, tracking)

    async def process(self, incoming: Incoming, tracking: Tracking) -> None:
        await self._writer.call(self._app.process_incoming, incoming, tracking)
