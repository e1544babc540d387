"""Benchmark 5: `make run` (the devstack) to all four /readyz green, environment installed."""

from __future__ import annotations

import time
from pathlib import Path

from sportello_devstack.stack import Stack

from .common import Figure


async def run(tmp: Path, quick: bool) -> list[Figure]:  # noqa: ARG001 (same size either way)
    started = time.perf_counter()
    stack = Stack.on_free_ports(tmp / "startup").start()  # returns when every /readyz is 200
    elapsed = time.perf_counter() - started
    stack.stop()
    return [
        Figure(
            "5 start-up",
            "stack to four /readyz green",
            elapsed,
            "s",
            target="≤ 10 s",
            met=elapsed <= 10,
        )
    ]
