"""The one writer thread of a service, and the bridge from the consumer runner to it."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from eventsourcing.persistence import Tracking

from .health import WriteHealth
from .outages import bounded, outage

if TYPE_CHECKING:
    from .application import Incoming, ServiceApplication

T = TypeVar("T")
P = ParamSpec("P")


class Writer:
    """The one thread that writes through an Application.

    eventsourcing is synchronous; FastAPI and nats-py are asyncio. Commands from both sides are
    queued here so the event loop never blocks on the database and writes never race.
    """

    def __init__(self, name: str, health: WriteHealth | None = None) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-writer")
        self._health = health

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the writer thread; within an HTTP request, only until its deadline
        (outages.py): a call still queued then is dropped, one running finishes unheard."""
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        try:
            return await bounded(
                loop.run_in_executor(self._executor, lambda: context.run(fn, *args, **kwargs))
            )
        except Exception as exc:
            found = outage(exc)
            if found is not None and self._health is not None:
                self._health.failed(*found)  # /readyz says so until a commit succeeds
            raise

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

    @property
    def processes_batches(self) -> bool:
        return self._app.processes_batches

    async def tracked(self, trackings: Sequence[Tracking]) -> set[Tracking]:
        return await asyncio.to_thread(self._app.tracked, trackings)

    async def process_batch(
        self, batch: Sequence[tuple[Incoming, Tracking]]
    ) -> list[Exception | None]:
        return await self._writer.call(self._app.process_batch, batch)

    async def letter_key(self, subject: str, data: bytes | None) -> bytes | None:
        return await self._writer.call(self._app.letter_key, subject, data)
