"""Whether anything was committed to a service's store since a follower last looked.

A follower (relay, case index, dispatcher) is woken by its own process's commits
(`ServiceApplication.on_saved`); what another process commits to the same store (another
replica, an admin command) it found by reading the log every poll interval: two queries and a
thread hop, five times a second per follower, in every idle service. That was most of an idle
service's CPU (py-spy, benchmark 6's stack at rest: 0.3-0.4 of a core for the four services).
Now the store says when something may have changed:

- PostgreSQL: every insert of events sends `NOTIFY` (eventsourcing does it, on a channel per
  schema and table here, with the recorder's token as payload); one thread per process `LISTEN`s
  on its own connection and wakes the followers, except for its own recorder's commits, which
  woke them already (a second wake-up made each follower read the log again for nothing).
  While that connection is down the followers poll as before.
- SQLite: a commit by any process moves the change counter in the WAL index's header, and
  changes the database's or its write-ahead log's size or modification time; a `stat` of both
  and a 48-byte read of the header (microseconds, on the event loop) replace the read.
- Anything else (the in-memory stores of the unit tests): no signal, the followers poll.

Followers still read at least every `FOLLOWER_SAFETY_POLL` seconds whatever the signal says.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from .logging import get_logger

log = get_logger(__name__)

Wake = Callable[[], None]


class StoreChanges:
    """No signal: every tick may have brought something (followers poll as they always did)."""

    def maybe_changed(self) -> bool:
        return True

    def others(self) -> int | None:
        """How many times other processes (replicas, admin commands) committed, as far as the
        signal tells; None while there is none (SQLite, no follower listening, a lost LISTEN).

        What a process keeps in memory is what the store holds while this count has not moved
        since it was read (its own commits it applies itself). A commit's NOTIFY arrives a moment
        after the commit: what is kept may be that moment stale, so it may serve only what a
        concurrent change races with anyway, behind a version check at the save."""
        return None

    def subscribe(self, wake: Wake) -> Callable[[], None]:
        return lambda: None


class FileChanges(StoreChanges):
    """SQLite: the database file and its WAL, by size and modification time, and the WAL index's
    header, whose change counter moves with every commit: a commit that rewrites a reset WAL in
    place keeps its size, and may keep its modification time too (the file system's clock ticks
    every few milliseconds), so the first two alone can miss it."""

    SHM_HEADER = 48  # the WAL index header (iVersion, iChange, mxFrame, ...: sqlite's wal.c)

    def __init__(self, database: Path) -> None:
        self._paths = (database, database.with_name(database.name + "-wal"))
        self._shm = database.with_name(database.name + "-shm")
        self._seen = self._signature()

    def _signature(self) -> tuple[object, ...]:
        signature: list[object] = []
        for path in self._paths:
            try:
                status = path.stat()
            except OSError:
                signature.append((-1, -1))
            else:
                signature.append((status.st_size, status.st_mtime_ns))
        try:
            with self._shm.open("rb") as shm:
                signature.append(shm.read(self.SHM_HEADER))
        except OSError:
            signature.append(b"")
        return tuple(signature)

    def maybe_changed(self) -> bool:
        now = self._signature()
        changed, self._seen = now != self._seen, now
        return changed


class PostgresChanges(StoreChanges):
    """PostgreSQL: LISTEN on the events table's channel, on a connection of its own."""

    def __init__(
        self,
        conninfo: str,
        channel: str,
        connect_kwargs: dict[str, Any],
        own_token: str | None = None,
    ) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._own_token = own_token  # the payload of this recorder's own NOTIFYs
        self._kwargs = {k: v for k, v in connect_kwargs.items() if k != "autocommit"}
        self._kwargs.setdefault("connect_timeout", 5)
        self._kwargs.setdefault("application_name", f"listen {channel}"[:63])  # ops can see it
        self._wakes: list[Wake] = []
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._stopped: threading.Event | None = None  # the running thread's own stop
        self._others = 0  # wake-ups for other processes' commits (and each LISTEN's start or end)

    def maybe_changed(self) -> bool:
        return not self._listening.is_set()  # while not listening, poll

    def others(self) -> int | None:
        with self._lock:
            return self._others if self._listening.is_set() else None

    def subscribe(self, wake: Wake) -> Callable[[], None]:
        with self._lock:
            self._wakes.append(wake)
            if self._stopped is None:
                self._stopped = threading.Event()
                threading.Thread(
                    target=self._listen,
                    args=(self._stopped,),
                    name=f"listen-{self._channel}",
                    daemon=True,
                ).start()

        def unsubscribe() -> None:
            with self._lock:
                self._wakes.remove(wake)
                last = not self._wakes
            if last:
                self.close()

        return unsubscribe

    def close(self) -> None:
        """The thread leaves within a second (its wait for a notification), on its own: the
        event loop that calls this is not held up."""
        with self._lock:
            stopped, self._stopped = self._stopped, None
        if stopped is not None:
            stopped.set()
            self._listening.clear()

    def _wake_all(self) -> None:
        with self._lock:
            self._others += 1
            wakes = list(self._wakes)
        for wake in wakes:
            with contextlib.suppress(RuntimeError):  # its loop has closed: that follower is gone
                wake()

    def _listen(self, stopped: threading.Event) -> None:
        while not stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, **self._kwargs) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    if not stopped.is_set():
                        self._listening.set()
                    self._wake_all()  # whatever was committed before LISTEN took effect
                    while not stopped.is_set():
                        for notification in conn.notifies(timeout=1.0, stop_after=1):
                            if notification.payload != self._own_token:
                                self._wake_all()
            except Exception as exc:  # whatever ends the connection, the followers poll
                if self._listening.is_set():
                    log.warning("store_changes.listen_lost", channel=self._channel, error=repr(exc))
            if stopped.is_set():
                return
            self._listening.clear()
            self._wake_all()  # the followers poll until the next LISTEN
            stopped.wait(1.0)


def store_changes(recorder: Any) -> StoreChanges:
    """The signal for a follower of this recorder: PostgreSQL's listener is one per recorder,
    shared by its followers; a file watch is each follower's own (it remembers what it saw)."""
    found: StoreChanges | None = getattr(recorder, "_sportello_changes", None)
    if found is not None:
        return found
    made = _make(recorder)
    if isinstance(made, PostgresChanges):
        recorder._sportello_changes = made
    return made


def _make(recorder: Any) -> StoreChanges:
    pool: Any = getattr(getattr(recorder, "datastore", None), "pool", None)
    channel = getattr(recorder, "channel_name", None)
    if channel and hasattr(pool, "conninfo"):  # psycopg's pool: PostgreSQL
        kwargs = {k: v for k, v in (pool.kwargs or {}).items() if v is not None}
        kwargs.pop("row_factory", None)
        return PostgresChanges(
            pool.conninfo, channel, kwargs, getattr(recorder, "notify_token", None)
        )
    path = getattr(pool, "db_name", None)  # eventsourcing's SQLite pool
    if isinstance(path, str) and path and ":memory:" not in path and "mode=memory" not in path:
        return FileChanges(Path(path))
    return StoreChanges()
