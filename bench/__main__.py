"""`make bench` / `make bench-quick`: every figure beside its baseline from the same run."""

from __future__ import annotations

import asyncio
import sys
import tempfile
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
            figures += await bench.run(Path(tmp), quick)
    report(figures, quick)


if __name__ == "__main__":
    asyncio.run(main(quick="--quick" in sys.argv))
