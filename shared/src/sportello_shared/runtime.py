"""A service process: its Application, writer, NATS connection, relay, consumers and workers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge

from .application import ServiceApplication
from .batching import Batcher
from .bus.consumer import ConsumerRunner, ConsumerSpec
from .bus.leases import AdvisoryLockLease, AdvisoryLocks, FileLockLease, Lease
from .bus.personal import PersonalDataClient
from .bus.relay import Relay, ToPublic
from .bus.streams import ensure_streams
from .health import WriteHealth
from .logging import get_logger
from .outages import STORE, describe, outage, read
from .persistence import database_is_reachable, ensure_schema, store_initialisation_lock
from .settings import ServiceSettings
from .writer import ApplicationProcessor, Writer

log = get_logger(__name__)
RESTARTS = Counter(
    "sportello_worker_restarts_total",
    "Background loops (relay, consumers, followers, sweep) restarted after a failure",
    ["task", "cause"],  # cause: the dependency that was unavailable, or "bug"
)
BACKOFF = Gauge(
    "sportello_worker_backoff_seconds",
    "How long a failed background loop waits before its next try (0: running)",
    ["task"],
)
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
    # seconds the relay lingers while commits keep coming (follower.py), unless RELAY_LINGER says
    # otherwise: 0 for a service whose events somebody waits on (intake's `received`, routing's
    # `assigned`), more for one whose events go to background consumers only
    relay_linger: float = 0.0


class Runtime(Generic[A]):
    def __init__(self, parts: ServiceParts[A]) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.app: A
        # a write failure keeps /readyz at 503 for a while, or until the next commit (health.py)
        self.health = WriteHealth(hold_s=max(10.0, 2 * parts.settings.store_wait_s))
        self.writer = Writer(parts.settings.service_name, self.health)
        self.nc: NatsClient
        self.js: JetStreamContext
        self.relay: Relay
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._advisory_locks: AdvisoryLocks | None = None
        self._batchers: dict[str, Batcher[Any, Any]] = {}

    def batcher(self, name: str, handle: Callable[[list[Any]], Sequence[Any]]) -> Batcher[Any, Any]:
        """The group-commit queue `name` in front of the writer (see batching.py)."""
        if name not in self._batchers:
            self._batchers[name] = Batcher(name, self.writer, handle)
        return self._batchers[name]

    async def start(self) -> None:
        self.app = await asyncio.to_thread(self._open_store)
        self.app.on_saved(self.health.succeeded)
        self.nc = await nats.connect(
            servers=self.settings.nats_servers,
            name=self.settings.service_name,
            inbox_prefix=self.settings.nats_inbox_prefix,
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
            safety_poll=self.settings.follower_safety_poll,
            linger=self.relay_linger(),
        )
        self._spawn("relay", self.relay.run)
        processor = ApplicationProcessor(self.app, self.writer)
        for spec in self.parts.consumers:
            personal = PersonalDataClient(self.nc, spec.requester) if spec.personal_data else None
            runner = ConsumerRunner(
                self.js,
                spec,
                processor,
                self.settings.consumer_long_poll,
                personal,
                linger=self.consumer_linger(spec),
            )
            self._spawn(f"consumer:{spec.durable}", runner.run)
        for worker in self.parts.workers:
            self._spawn(getattr(worker, "__name__", "worker"), functools.partial(worker, self))
        log.info("service.started", nats=self.settings.nats_servers)

    def relay_linger(self) -> float:
        configured = self.settings.relay_linger
        return self.parts.relay_linger if configured is None else configured

    def consumer_linger(self, spec: ConsumerSpec) -> float:
        if spec.background:
            return self.settings.consumer_background_linger
        return self.settings.consumer_linger

    def _open_store(self) -> A:
        with store_initialisation_lock(self.settings):
            ensure_schema(self.settings)
            return self.parts.make_application(self.settings.eventsourcing_env())

    def lease(self, follower: str) -> Lease:
        """A lease in this service's own store, so one replica at a time runs `follower`."""
        if self.settings.database_url:
            name = f"{self.settings.store_schema}:{follower}"
            if self._advisory_locks is None:  # one connection for all of this process's leases
                self._advisory_locks = AdvisoryLocks(self.settings.database_url)
            return AdvisoryLockLease(self._advisory_locks, name)
        lock = self.settings.data_dir / f"{self.settings.service_name}.{follower}.lock"
        return FileLockLease(lock)

    def _spawn(self, name: str, run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        self._tasks.append(asyncio.create_task(self._supervise(name, run), name=name))

    async def _supervise(self, name: str, run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """A crashed loop is logged and restarted: one bad moment must not stop the service.

        Restarts back off exponentially (0.5 s doubling, at most 10 s), from scratch once a run
        has lasted a minute; an outage of the store or the bus is one warning line with its
        cause, anything else a traceback. Both show in /metrics.
        """
        backoff = Backoff()
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                await run(self._stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if time.monotonic() - started > 60:
                    backoff.reset()
                delay = backoff.next()
                found = outage(exc)
                if found is None:
                    log.exception("service.task_crashed", task=name, retry_in_s=delay)
                else:
                    dependency, cause = found
                    if dependency == STORE:
                        self.health.failed(dependency, cause)
                    log.warning(
                        "service.task_waiting",
                        task=name,
                        dependency=dependency,
                        cause=describe(cause),
                        retry_in_s=delay,
                    )
                RESTARTS.labels(name, found[0] if found else "bug").inc()
                BACKOFF.labels(name).set(delay)
                await asyncio.sleep(delay)
                BACKOFF.labels(name).set(0)

    async def stop(self) -> None:
        self._stop.set()
        for batcher in self._batchers.values():
            await batcher.close()
        _, pending = await asyncio.wait(self._tasks, timeout=10) if self._tasks else ((), ())
        for task in pending:
            task.cancel()
        if self._advisory_locks is not None:  # the server releases whatever is still held
            await self._advisory_locks.close()
        if hasattr(self, "nc") and not self.nc.is_closed:
            # Loops have stopped and acked what they finished: flush acks, then leave.
            with contextlib.suppress(Exception):
                await self.nc.flush(timeout=2)
            await self.nc.close()
        self.writer.shutdown()
        if hasattr(self, "app"):
            self.app.close()
        log.info("service.stopped")

    async def readiness(self) -> tuple[dict[str, bool], dict[str, str]]:
        """Each dependency's check, and why the failing ones fail."""
        failing: dict[str, str] = {}
        nats_ok = hasattr(self, "nc") and self.nc.is_connected
        if not nats_ok:
            failing["nats"] = "not connected"
        write_failure = self.health.failing()
        if write_failure is not None:
            failing[write_failure.dependency] = f"writes failing: {write_failure.cause}"
        elif not hasattr(self, "app"):
            failing["store"] = "not open yet"
        else:
            try:
                await read(functools.partial(database_is_reachable, raises=True), self.app.recorder)
            except Exception as exc:
                failing["store"] = describe(exc)
        return {"nats": nats_ok, "store": "store" not in failing}, failing


async def _log_nats_error(exc: Exception) -> None:
    log.warning("nats.error", error=repr(exc))


async def _log_disconnected() -> None:
    log.warning("nats.disconnected")


async def _log_reconnected() -> None:
    log.info("nats.reconnected")


class Backoff:
    """Capped exponential backoff: 0.5, 1, 2, 4, 8, 10, 10 ... s."""

    def __init__(self, first: float = 0.5, cap: float = 10.0) -> None:
        self._first, self._cap = first, cap
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self._cap)
        return delay

    def reset(self) -> None:
        self._next = self._first
