"""CPU per case alone, for comparing two trees back to back on a shared machine (issue 20).

`python -m bench.cpu_probe LABEL [SECONDS] [RATE]`: benchmark 6's stack (`system_cost._system`),
3 s of warm-up at 10/s, then `RATE` cases/s for `SECONDS` until the last acknowledgment mail
(`RATE` 0: 64 clients as fast as they are answered, and the rate through to the mail);
prints CPU per case of every component, the sum without PostgreSQL (whose processes include
every other session's backends) and the median latency 201 → mail. Run it in this tree with
`PYTHONPATH` on another tree's `src` directories (the services' processes inherit it) to
measure that tree with the same driver.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from . import system_cost


async def probe(label: str, seconds: float, rate: float) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="cpu_probe"))
    with system_cost._system(tmp) as stack:
        await system_cost._run(stack, seconds=3.0, rate=10.0)
        meter = system_cost.CpuMeter(stack)
        meter.start()
        latencies, started, last = await system_cost._run(stack, seconds=seconds, rate=rate or None)
        used = meter.used()
    cases = len(latencies)
    through = f" through {cases / (last - started):.1f}/s" if not rate else ""
    per_case = {name: 1000 * cpu / cases for name, cpu in used.items()}
    services = sum(ms for name, ms in per_case.items() if name != "postgres")
    median = sorted(latencies.values())[cases // 2] * 1000
    parts = " ".join(f"{name} {ms:.1f}" for name, ms in per_case.items())
    return (
        f"{label} total {sum(per_case.values()):.1f} services+nats {services:.1f} ms/case | "
        f"{parts} | n={cases} p50 {median:.0f} ms{through}"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    label = args[0] if args else "tree"
    seconds = float(args[1]) if len(args) > 1 else 15.0
    rate = float(args[2]) if len(args) > 2 else 20.0
    sys.stdout.write(asyncio.run(probe(label, seconds, rate)) + "\n")
