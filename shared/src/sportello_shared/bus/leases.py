"""One active relay per service: a lease held in the service's own database (or lock file)."""

from __future__ import annotations

import asyncio
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


class AdvisoryLockLease:
    """A PostgreSQL session advisory lock: released by the server if this process dies."""

    def __init__(self, database_url: str, name: str, retry_interval: float = 1.0) -> None:
        self._url = database_url
        self._key = zlib.crc32(name.encode())
        self._retry = retry_interval
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None

    async def acquire(self) -> None:
        while True:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = await psycopg.AsyncConnection.connect(
                        self._url, autocommit=True, connect_timeout=5
                    )
                cur = await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
                row = await cur.fetchone()
                if row and row[0]:
                    return
            except psycopg.OperationalError:
                self._conn = None
            await asyncio.sleep(self._retry)

    async def still_held(self) -> bool:
        if self._conn is None or self._conn.closed:
            return False
        try:
            await self._conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    async def release(self) -> None:
        if self._conn is not None and not self._conn.closed:
            await self._conn.close()
        self._conn = None


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
