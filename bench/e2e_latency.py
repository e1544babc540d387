"""Benchmark 2: from the 201 of POST /cases to routing's decision and to the acknowledgment mail.

Open loop at a steady rate. The decision is timed when `case.assigned` reaches the bus (intake
records it on the file from there); the mail when the SMTP sink accepted it (its file name is the
arrival time in ns). Then the highest steady rate whose p99 stays within a second.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterable
from email import message_from_bytes
from pathlib import Path

import nats as nats_client
from nats.aio.msg import Msg
from sportello_devstack.stack import Stack

from .common import Figure, percentile
from .intake_throughput import CASE
from .loadgen import post_request, run_load

REFERENCE = re.compile(r"[A-Z]{2,4}-[0-9]{4}-[0-9]{6}")


async def _run_at(stack: Stack, rate: float, seconds: float) -> tuple[list[float], list[float]]:
    decided: dict[str, float] = {}
    nc = await nats_client.connect(servers=[stack.nats_url])

    async def on_assigned(msg: Msg) -> None:
        decided[json.loads(msg.data)["subject"]] = time.time()

    await nc.subscribe("cases.*.*.assigned", cb=on_assigned)
    port = stack.ports["intake"]
    body = CASE  # Torino acknowledges every case by mail (Pisa gives the reference on the phone)
    request = post_request("127.0.0.1", port, "/cases", body)
    accepted: dict[str, tuple[str, float]] = {}

    result = await run_load(
        "127.0.0.1",
        port,
        lambda _: request,
        concurrency=64,
        seconds=seconds,
        rate=rate,
        keep_bodies=True,
    )
    for body_bytes, answered_at in zip(result.bodies, result.answered_at, strict=True):
        view = json.loads(body_bytes)
        accepted[view["case_id"]] = (view["reference"], answered_at)
    await asyncio.sleep(3.0)  # let the tail arrive
    await nc.close()
    routing = [decided[c] - t for c, (_, t) in accepted.items() if c in decided]
    return routing, _mail_latencies(stack.mail_dir, accepted)


def _mail_latencies(mail_dir: Path, accepted: dict[str, tuple[str, float]]) -> list[float]:
    """First mail per reference (the acknowledgment), from the sink's arrival times."""
    by_reference = dict(accepted.values())
    first = mail_arrivals(mail_dir.glob("*.eml"), set(by_reference))
    return [arrived - by_reference[reference] for reference, arrived in first.items()]


def mail_arrivals(paths: Iterable[Path], references: set[str]) -> dict[str, float]:
    """When the first of these sink files naming each of `references` arrived (a file's name is
    its arrival time in ns)."""
    first: dict[str, float] = {}
    for path in paths:
        arrived = int(path.name.split("-", 1)[0]) / 1e9
        found = REFERENCE.search(message_from_bytes(path.read_bytes())["Subject"] or "")
        if found and found.group(0) in references:
            first[found.group(0)] = min(arrived, first.get(found.group(0), arrived))
    return first


async def run(tmp: Path, quick: bool) -> list[Figure]:
    rate, seconds = (25.0, 4.0) if quick else (100.0, 60.0)  # quick: measured, not judged
    stack = Stack.on_free_ports(tmp / "e2e", extra_env={"LOG_LEVEL": "WARNING"}).start()
    try:
        routing, mails = await _run_at(stack, rate, seconds)
        figures = [
            _latency_figure(f"201 → case.assigned at {rate:.0f}/s", routing),
            _latency_figure(f"201 → acknowledgment mail at {rate:.0f}/s", mails),
        ]
        if not quick:
            figures.append(await _highest_steady_rate(stack))
    finally:
        stack.stop()
    return figures


def _latency_figure(name: str, latencies: list[float]) -> Figure:
    p50, p95, p99 = (percentile(latencies, q) * 1000 for q in (0.5, 0.95, 0.99))
    return Figure(
        "2 end-to-end latency",
        f"{name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms (n={len(latencies)})",
        p99,
        "ms p99",
        target="p99 ≤ 250 ms",
        met=bool(latencies) and p99 <= 250,
    )


async def _highest_steady_rate(stack: Stack) -> Figure:
    best = 0.0
    # from well below the 100/s the latency figures above were measured at: a figure, not 0
    for rate in (50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0, 650.0, 800.0):
        routing, _ = await _run_at(stack, rate, 15.0)
        if not routing or percentile(routing, 0.99) > 1.0:
            break
        best = rate
    return Figure(
        "2 end-to-end latency",
        "highest steady rate with p99(201 → case.assigned) ≤ 1 s",
        best,
        "cases/s",
        target="≥ 500/s",
        met=best >= 500,
    )
