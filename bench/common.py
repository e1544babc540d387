"""What every benchmark needs: real servers, a fresh schema, a service process, the results."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import psycopg
from nats.js import JetStreamContext
from psycopg import sql
from rich.console import Console
from rich.table import Table
from sportello_devstack.natsserver import NatsServer, free_port, wait_for_port

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
console = Console(width=170)


@dataclass
class Figure:
    """One measured figure beside the baseline measured in the same run."""

    benchmark: str
    figure: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    target: str | None = None
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def nats(tmp: Path) -> Iterator[str]:
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    with NatsServer(tmp / f"nats-{uuid.uuid4().hex[:6]}") as server:
        yield server.url


ACK_WAIT = 30.0  # seconds for one publication's ack (nats-py waits 1 s by default)


async def publish_all(
    js: JetStreamContext, stream: str, messages: Iterable[tuple[str, bytes]], window: int = 1_000
) -> None:
    """Publish (subject, payload) pairs to a stream, `window` awaiting their acks at a time.

    A window's acks come after each fsync of the stream: on a busy machine (the test suite
    running beside it) the last one can take longer than nats-py's default second.
    """
    pending: list[Awaitable[object]] = []
    for subject, data in messages:
        pending.append(js.publish(subject, data, stream=stream, timeout=ACK_WAIT))
        if len(pending) >= window:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)


@contextmanager
def schema(prefix: str) -> Iterator[str]:
    name = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@contextmanager
def service(name: str, env: dict[str, str], data_dir: Path) -> Iterator[tuple[int, int]]:
    """One service as its own process (as deployed), on a free port; yields (port, pid)."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / f"{name}.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / f"sportello-{name}")],
        env={**os.environ, "HTTP_PORT": str(port), "LOG_LEVEL": "WARNING", **env},
        stdout=log,
        stderr=log,
    )
    try:
        wait_for_port(port, timeout=60)
        deadline = time.monotonic() + 60
        while httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not ready")
            time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def report(figures: list[Figure], quick: bool) -> None:
    table = Table("benchmark", "figure", "value", "baseline", "ratio", "target", "met")
    for f in figures:
        table.add_row(
            f.benchmark,
            f.figure,
            f"{f.value:,.1f} {f.unit}",
            f"{f.baseline}: {f.baseline_value:,.1f}" if f.baseline and f.baseline_value else "",
            f"{f.ratio:.2f}x" if f.ratio else "",
            f.target or "",
            "" if f.met is None else ("yes" if f.met else "NO"),
        )
    console.print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "figures": [asdict(f) | {"ratio": f.ratio} for f in figures],
    }
    name = "quick.json" if quick else "latest.json"
    (RESULTS / name).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    console.print(f"written to bench/results/{name}")
