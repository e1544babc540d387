"""A lean HTTP/1.1 keep-alive load generator on raw asyncio streams.

The machine has two cores shared by the server under test and the client: a heavy client would
measure itself. Requests are pre-encoded bytes; responses are parsed just enough to count them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LoadResult:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)  # wall clock, with `bodies`

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def post_request(host: str, port: int, path: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def run_load(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    *,
    concurrency: int,
    seconds: float | None = None,
    total: int | None = None,
    rate: float | None = None,
    keep_bodies: bool = False,
) -> LoadResult:
    """Closed loop with `concurrency` connections, or open loop at `rate` requests/s."""
    result = LoadResult()
    started = time.perf_counter()
    deadline = started + seconds if seconds else float("inf")
    counter = iter(range(10**9))

    def next_index() -> int | None:
        if time.perf_counter() >= deadline:
            return None
        n = next(counter)
        return None if total is not None and n >= total else n

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (n := next_index()) is not None:
                if rate:
                    await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
                sent_at = time.perf_counter()
                writer.write(make_request(n))
                result.sent += 1
                status, body = await _read_response(reader)
                result.latencies.append(time.perf_counter() - sent_at)
                if 200 <= status < 300:
                    result.ok += 1
                    if keep_bodies:
                        result.bodies.append(body)
                        result.answered_at.append(time.time())
                else:
                    result.errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result
