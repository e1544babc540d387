"""Helpers every test tier shares: waiting for what the services do asynchronously, and the
services as processes on either store (e2e)."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from .stack import SERVICES, Stack


async def eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll `check` (sync or async) until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check.__doc__ or check}")
        await asyncio.sleep(0.05)


def eventually_sync(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """The same for tests that drive separate processes synchronously."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check.__doc__ or check}")
        time.sleep(0.1)


def status_of(clocks: dict[str, dict[str, Any]], standard: str) -> str | None:
    """A clock's status in sla-svc's answer about a case's clocks (by standard); None while
    sla-svc has not started it yet (its consumers may linger a second: bus/fetching.py)."""
    clock = clocks.get(standard)
    return None if clock is None else clock["status"]


@contextmanager
def stack_on_store(
    request: pytest.FixtureRequest, data_dir: Path, prefix: str, **options: Any
) -> Iterator[Stack]:
    """The services as processes on the store `request.param` names: "sqlite" (files under
    `data_dir`), or "postgres" (schemas of their own on the test server, dropped after)."""
    pg: dict[str, Any] = {}
    if request.param == "postgres":
        pg = {
            "database_url": request.getfixturevalue("database_url"),
            "database_schema_prefix": f"{prefix}_{uuid.uuid4().hex[:8]}",
        }
    running = Stack.on_free_ports(data_dir, **options, **pg).start()
    try:
        yield running
    finally:
        running.stop()
        if pg:
            with psycopg.connect(pg["database_url"], autocommit=True) as conn:
                for name in SERVICES:
                    schema = sql.Identifier(f"{pg['database_schema_prefix']}_{name}")
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
