"""`make bench` / `make bench-quick`: every figure beside its baseline from the same run."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from . import e2e_latency, intake_throughput, sla_breaches, sla_replay, startup, system_cost
from .common import Figure, report


async def main(quick: bool) -> None:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="sportello-bench-") as tmp:
        for bench in (
            startup,
            intake_throughput,
            e2e_latency,
            sla_replay,
            sla_breaches,
            system_cost,
        ):
            started = time.perf_counter()
            figures += await bench.run(Path(tmp), quick)
            took = time.perf_counter() - started
            print(f"[bench] {bench.__name__.rsplit('.', 1)[-1]}: {took:.1f}s", file=sys.stderr)  # noqa: T201
    report(figures, quick)


if __name__ == "__main__":
    asyncio.run(main(quick="--quick" in sys.argv))
