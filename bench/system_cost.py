"""Benchmark 6: what one case costs the whole system, and how many the whole system carries.

The four services as processes on PostgreSQL (fsync and `synchronous_commit` on, each service in
its own schema) and a nats-server with `sync_interval: always`, as deployed. Each figure counts
a case as done only when its acknowledgment mail is in the SMTP sink:
- CPU per case at a steady rate: utime + stime from /proc of every process of the system (the
  four services, nats-server, every PostgreSQL process), from the first request to the last
  mail, divided by the cases; the breakdown per component is printed with it;
- capacity: 64 clients for a while, then until the last acknowledgment mail;
- latency from the 201 to the acknowledgment mail at 50 cases/s (25 in `--quick`);
- baseline in the same run: plain INSERT + COMMIT from 64 connections (benchmark 1's; 16 in
  `--quick`, which runs beside the test suite and must leave PostgreSQL connections to it).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sportello_devstack.stack import SERVICES, Stack

from .common import DATABASE_URL, Figure, percentile
from .e2e_latency import mail_arrivals
from .intake_throughput import CASE, plain_inserts
from .loadgen import post_request, run_load

BENCH = "6 whole system"
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class CpuMeter:
    """CPU seconds per component since `start()`; processes born meanwhile count from zero."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._start: dict[int, float] = {}

    def _components(self) -> dict[str, list[int]]:
        found = {name: [self._stack.processes[name].pid] for name in SERVICES}
        if self._stack.nats is not None and self._stack.nats.pid is not None:
            found["nats"] = [self._stack.nats.pid]
        found["postgres"] = _postgres_pids()
        return found

    def _now(self) -> dict[int, float]:
        return {
            pid: seconds
            for pids in self._components().values()
            for pid in pids
            if (seconds := _cpu_seconds(pid)) is not None
        }

    def start(self) -> None:
        self._start = self._now()

    def used(self) -> dict[str, float]:
        now = self._now()
        return {
            name: sum(now.get(pid, 0.0) - self._start.get(pid, 0.0) for pid in pids)
            for name, pids in self._components().items()
        }


async def _run(
    stack: Stack, *, seconds: float, rate: float | None = None, concurrency: int = 64
) -> tuple[dict[str, float], float, float]:
    """Posts for `seconds` (open loop at `rate`, else closed loop), then waits for every
    acknowledgment: (201 time per reference, start, the last mail's arrival)."""
    port = stack.ports["intake"]
    request = post_request("127.0.0.1", port, "/cases", CASE)
    if rate is not None:  # each connection busy at least every 2 s: the server drops idle ones
        concurrency = min(concurrency, max(8, int(2 * rate)))
    started = time.time()
    result = await run_load(
        "127.0.0.1",
        port,
        lambda _: request,
        concurrency=concurrency,
        seconds=seconds,
        rate=rate,
        keep_bodies=True,
    )
    answered = {
        json.loads(body)["reference"]: at
        for body, at in zip(result.bodies, result.answered_at, strict=True)
    }
    arrivals = await _every_mail(stack.mail_dir, answered, timeout=max(120.0, 4 * seconds))
    return (
        {ref: arrivals[ref] - at for ref, at in answered.items()},
        started,
        max(arrivals.values()),
    )


async def _every_mail(
    mail_dir: Path, answered: dict[str, float], timeout: float
) -> dict[str, float]:
    """Waits until each answered reference has its first mail in the sink. Files are parsed
    once each: the benchmark's own CPU competes with the system it measures."""
    deadline = time.monotonic() + timeout
    seen: set[Path] = set()
    arrivals: dict[str, float] = {}
    while True:
        new = [path for path in mail_dir.glob("*.eml") if path not in seen]
        seen.update(new)
        for reference, at in mail_arrivals(new, set(answered)).items():
            arrivals[reference] = min(at, arrivals.get(reference, at))
        if len(arrivals) == len(answered):
            return arrivals
        if time.monotonic() > deadline:
            missing = len(answered) - len(arrivals)
            raise TimeoutError(f"{missing} of {len(answered)} acknowledgments never arrived")
        await asyncio.sleep(0.5)


async def _cpu_per_case(stack: Stack, rate: float, seconds: float) -> list[Figure]:
    meter = CpuMeter(stack)
    meter.start()
    latencies, _, _ = await _run(stack, seconds=seconds, rate=rate)
    used = meter.used()
    cases = len(latencies)
    per_case = {name: 1000 * cpu / cases for name, cpu in used.items()}
    total = sum(per_case.values())
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in per_case.items())
    return [
        Figure(
            BENCH,
            f"CPU per case at {rate:.0f}/s, every process, 201 → ack mail ({parts}; n={cases})",
            total,
            "ms/case",
            target="≤ 10 ms",
            met=total <= 10,
        )
    ]


# Issue 20 set 150 cases/s where this baseline measured 7,437 rows/s, and counts ratios, not the
# absolute rates of a shared VM: 150 / 7,437 is the same goal on another day's disk.
CAPACITY_RATIO = 150 / 7_437


async def _capacity(stack: Stack, seconds: float, baseline: float, conns: int) -> Figure:
    latencies, started, last_mail = await _run(stack, seconds=seconds, concurrency=64)
    rate = len(latencies) / (last_mail - started)
    return Figure(
        BENCH,
        f"capacity, 64 clients for {seconds:.0f} s until the last ack mail (n={len(latencies)})",
        rate,
        "cases/s",
        baseline=f"plain INSERT+COMMIT, {conns} conns",
        baseline_value=baseline,
        target=f"≥ 150 cases/s or ≥ {CAPACITY_RATIO:.3f}x the baseline",
        met=rate >= 150 or rate >= CAPACITY_RATIO * baseline,
    )


async def _latency(stack: Stack, seconds: float, rate: float) -> Figure:
    latencies, _, _ = await _run(stack, seconds=seconds, rate=rate)
    p50, p99 = (percentile(list(latencies.values()), q) * 1000 for q in (0.5, 0.99))
    return Figure(
        BENCH,
        f"201 → acknowledgment mail at {rate:.0f}/s, p50 {p50:.0f} ms (n={len(latencies)})",
        p99,
        "ms p99",
        target="p99 ≤ 1,000 ms",
        met=p99 <= 1000,
    )


@contextmanager
def _system(tmp: Path) -> Iterator[Stack]:
    prefix = f"bench_sys_{uuid.uuid4().hex[:8]}"
    stack = Stack.on_free_ports(
        tmp / "system",
        database_url=DATABASE_URL,
        database_schema_prefix=prefix,
        extra_env={"LOG_LEVEL": "WARNING"},
    )
    try:
        yield stack.start()
    finally:
        stack.stop()
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            for name in SERVICES:
                schema = sql.Identifier(f"{prefix}_{name}")
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))


async def run(tmp: Path, quick: bool) -> list[Figure]:
    # --quick runs beside the test suite: every figure measured, none judged, the suite's time
    # spared (a few seconds each) and PostgreSQL's connections shared (max_connections).
    seconds = 3.0 if quick else 20.0
    rate = 20.0 if quick else 30.0
    conns = 16 if quick else 64
    baseline = await plain_inserts(conns, seconds)
    with _system(tmp) as stack:
        await _run(stack, seconds=1.0 if quick else 2.0, rate=10.0)  # warm: connections, caches
        figures = await _cpu_per_case(stack, rate, seconds)
        figures.append(await _latency(stack, seconds, rate=25.0 if quick else 50.0))
        figures.append(await _capacity(stack, seconds, baseline, conns))
    return figures
