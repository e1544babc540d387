"""A service process: its Application, writer, NATS connection, relay, consumers and workers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from .application import ApplicationProcessor, ServiceApplication, Writer
from .batching import Batcher
from .bus.consumer import ConsumerRunner, ConsumerSpec
from .bus.leases import AdvisoryLockLease, FileLockLease, Lease
from .bus.relay import Relay, ToPublic
from .bus.streams import ensure_streams
from .logging import get_logger
from .persistence import database_is_reachable, ensure_schema, store_initialisation_lock
from .settings import ServiceSettings

log = get_logger(__name__)
A = TypeVar("A", bound=ServiceApplication)
Worker = Callable[["Runtime[Any]", asyncio.Event], Awaitable[None]]


@dataclass
class ServiceParts(Generic[A]):
    """What a service's `main` wires together; everything else is the same for every service."""

    settings: ServiceSettings
    make_application: Callable[[dict[str, str]], A]
    to_public: ToPublic
    consumers: Sequence[ConsumerSpec] = ()
    workers: Sequence[Worker] = ()
    extras: dict[str, Any] = field(default_factory=dict)


class Runtime(Generic[A]):
    def __init__(self, parts: ServiceParts[A]) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.app: A
        self.writer = Writer(parts.settings.service_name)
        self.nc: NatsClient
        self.js: JetStreamContext
        self.relay: Relay
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._batchers: dict[str, Batcher[Any, Any]] = {}

    def batcher(self, name: str, handle: Callable[[list[Any]], Sequence[Any]]) -> Batcher[Any, Any]:
        """The group-commit queue `name` in front of the writer (see batching.py)."""
        if name not in self._batchers:
            self._batchers[name] = Batcher(name, self.writer, handle)
        return self._batchers[name]

    async def start(self) -> None:
        self.app = await asyncio.to_thread(self._open_store)
        self.nc = await nats.connect(
            servers=self.settings.nats_servers,
            name=self.settings.service_name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
            error_cb=_log_nats_error,
            disconnected_cb=_log_disconnected,
            reconnected_cb=_log_reconnected,
        )
        self.js = self.nc.jetstream(timeout=10)
        await ensure_streams(self.js, self.settings.stream_replicas)
        self.relay = Relay(
            self.app,
            self.js,
            self.parts.to_public,
            self.lease("relay"),
            poll_interval=self.settings.relay_poll_interval,
        )
        self._spawn("relay", self.relay.run)
        processor = ApplicationProcessor(self.app, self.writer)
        for spec in self.parts.consumers:
            self._spawn(f"consumer:{spec.durable}", ConsumerRunner(self.js, spec, processor).run)
        for worker in self.parts.workers:
            self._spawn(getattr(worker, "__name__", "worker"), functools.partial(worker, self))
        log.info("service.started", nats=self.settings.nats_servers)

    def _open_store(self) -> A:
        with store_initialisation_lock(self.settings):
            ensure_schema(self.settings)
            return self.parts.make_application(self.settings.eventsourcing_env())

    def lease(self, follower: str) -> Lease:
        """A lease in this service's own store, so one replica at a time runs `follower`."""
        if self.settings.database_url:
            name = f"{self.settings.store_schema}:{follower}"
            return AdvisoryLockLease(self.settings.database_url, name)
        lock = self.settings.data_dir / f"{self.settings.service_name}.{follower}.lock"
        return FileLockLease(lock)

    def _spawn(self, name: str, run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        self._tasks.append(asyncio.create_task(self._supervise(name, run), name=name))

    async def _supervise(self, name: str, run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """A crashed loop is logged and restarted: one bad moment must not stop the service."""
        while not self._stop.is_set():
            try:
                await run(self._stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("service.task_crashed", task=name)
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        self._stop.set()
        for batcher in self._batchers.values():
            await batcher.close()
        _, pending = await asyncio.wait(self._tasks, timeout=10) if self._tasks else ((), ())
        for task in pending:
            task.cancel()
        if hasattr(self, "nc") and not self.nc.is_closed:
            # Loops have stopped and acked what they finished: flush acks, then leave.
            with contextlib.suppress(Exception):
                await self.nc.flush(timeout=2)
            await self.nc.close()
        self.writer.shutdown()
        if hasattr(self, "app"):
            self.app.close()
        log.info("service.stopped")

    async def readiness(self) -> dict[str, bool]:
        store = hasattr(self, "app") and await asyncio.to_thread(
            database_is_reachable, self.app.recorder
        )
        return {"nats": hasattr(self, "nc") and self.nc.is_connected, "store": bool(store)}


async def _log_nats_error(exc: Exception) -> None:
    log.warning("nats.error", error=repr(exc))


async def _log_disconnected() -> None:
    log.warning("nats.disconnected")


async def _log_reconnected() -> None:
    log.info("nats.reconnected")
