"""One active relay per service: a lease held in the service's own database (or lock file)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import zlib
from pathlib import Path
from typing import Protocol

import psycopg


class Lease(Protocol):
    async def acquire(self) -> None: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...


class AdvisoryLocks:
    """One PostgreSQL connection holding every advisory lock of a process (session locks: the
    server releases them all when the process dies or the connection drops).

    A connection per lease cost intake a dozen (relay, index, retention, each mailbox...), and a
    stack on PostgreSQL some forty of the server's connections. A lease taken on an earlier
    connection (`generation`) is lost once that connection is: its holder takes it again.
    """

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._using = asyncio.Lock()  # one query at a time on the shared connection
        self._held: set[int] = set()  # keys locked on the current connection
        self.generation = 0

    async def _query(self, statement: str, params: tuple[object, ...] = ()) -> object:
        async with self._using:
            return await self._query_holding(statement, params)

    async def _query_holding(self, statement: str, params: tuple[object, ...]) -> object:
        """A query on the shared connection (connected again if need be), `_using` held."""
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=5
            )
            self.generation += 1
            self._held.clear()  # whatever the last connection held went with it
        try:
            cur = await self._conn.execute(statement, params)
            row = await cur.fetchone()
        except psycopg.OperationalError:
            await self._conn.close()  # every lock of this connection is gone with it
            self._held.clear()
            raise
        return row[0] if row else None

    async def try_lock(self, key: int) -> int | None:
        """The generation the lock was taken on, or None if another session holds it, or
        another lease of this process (a session's advisory locks are re-entrant: asked twice,
        PostgreSQL would say yes twice). Asked and noted under `_using`, as one step."""
        async with self._using:
            if self._conn is None or self._conn.closed:
                self._held.clear()
            if key in self._held:
                return None
            taken = await self._query_holding("SELECT pg_try_advisory_lock(%s)", (key,))
            if not taken:
                return None
            self._held.add(key)
            return self.generation

    async def alive(self, generation: int) -> bool:
        """Whether the connection that took a lock in `generation` is still this one, and up."""
        if generation != self.generation or self._conn is None or self._conn.closed:
            return False
        try:
            await self._query("SELECT 1")
        except psycopg.Error:
            return False
        return generation == self.generation

    async def unlock(self, key: int, generation: int) -> None:
        if generation == self.generation and self._conn is not None and not self._conn.closed:
            async with self._using:
                with contextlib.suppress(psycopg.Error):
                    await self._query_holding("SELECT pg_advisory_unlock(%s)", (key,))
                    self._held.discard(key)

    async def close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            await self._conn.close()
        self._conn = None
        self._held.clear()


class AdvisoryLockLease:
    """A PostgreSQL session advisory lock, on the process's shared lock connection."""

    def __init__(self, locks: AdvisoryLocks, name: str, retry_interval: float = 1.0) -> None:
        self._locks = locks
        self._key = zlib.crc32(name.encode())
        self._retry = retry_interval
        self._generation: int | None = None

    async def acquire(self) -> None:
        while True:
            try:
                self._generation = await self._locks.try_lock(self._key)
                if self._generation is not None:
                    return
            except psycopg.OperationalError:
                pass
            await asyncio.sleep(self._retry)

    async def still_held(self) -> bool:
        return self._generation is not None and await self._locks.alive(self._generation)

    async def release(self) -> None:
        if self._generation is not None:
            await self._locks.unlock(self._key, self._generation)
        self._generation = None


class FileLockLease:
    """An flock on a file beside the SQLite store: released by the kernel if this process dies."""

    def __init__(self, path: Path, retry_interval: float = 0.5) -> None:
        self._path = path
        self._retry = retry_interval
        self._fd: int | None = None

    async def acquire(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                await asyncio.sleep(self._retry)
            else:
                self._fd = fd
                return

    async def still_held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        self._fd = None
