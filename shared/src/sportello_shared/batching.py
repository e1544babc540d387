"""Group commit for an Application: concurrent commands share one writer call (one transaction).

Each save to the event store takes the events table's lock and waits for its own fsync, which
caps one-save-per-request near 600/s here. While the writer commits one batch, the next requests
queue; they are handled together as soon as it is free. Every caller still gets its own result
only after the transaction that holds its command has committed.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Histogram

from .outages import bounded
from .writer import Writer

C = TypeVar("C")
R = TypeVar("R")

BATCH_SIZE = Histogram(
    "sportello_writer_batch_size",
    "Commands committed together in one transaction",
    ["batch"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)


class Batcher(Generic[C, R]):
    def __init__(
        self,
        name: str,
        writer: Writer,
        handle: Callable[[list[C]], Sequence[R | Exception]],
        max_batch: int = 256,
    ) -> None:
        self._name = name
        self._writer = writer
        self._handle = handle
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[C, asyncio.Future[R]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, command: C) -> R:
        """The command's outcome once committed; StoreTimeout at the request's deadline (a
        command still queued then is dropped, see outages.py)."""
        if self._task is None or self._task.done():
            # A context of its own: not the first caller's, whose request deadline it would keep.
            self._task = asyncio.create_task(
                self._run(), name=f"batcher:{self._name}", context=contextvars.Context()
            )
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        await self._queue.put((command, future))
        return await bounded(future)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            batch = [(command, future) for command, future in batch if not future.done()]
            if batch:  # callers that gave up while queued are not committed behind their back
                await self._commit(batch)

    async def _commit(self, batch: list[tuple[C, asyncio.Future[R]]]) -> None:
        BATCH_SIZE.labels(self._name).observe(len(batch))
        try:
            outcomes = await self._writer.call(self._handle, [command for command, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except BaseException as exc:  # the transaction failed: nobody's command was committed
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise  # the process is going down: its callers learn why, then so does the loop
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away (client disconnected)
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
