"""Benchmark 1: cases/s accepted by intake-svc over HTTP, committed in PostgreSQL, relayed.

Baselines in the same run, same concurrency: (a) plain psycopg single-row INSERT + COMMIT,
(b) the naive eventsourcing path, one `save` per case.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nats as nats_client
import psycopg
from sportello_intake.adapters.case_index import PostgresCaseIndex
from sportello_intake.application import IntakeApplication, RegisterCase
from sportello_intake.main import IntakeSettings
from sportello_shared.persistence import ensure_schema
from sportello_shared.tenants import load_tenants

from .common import DATABASE_URL, ROOT, Figure, nats, schema, service
from .loadgen import LoadResult, post_request, run_load

TENANTS = ROOT / "deploy" / "tenants"
CASE: dict[str, Any] = {
    "tenant": "torino",
    "kind": "segnalazione",
    "channel": "web",
    "category": "decoro_pulizia",
    "description": "Cassonetti traboccanti in via Roma",
    "citizen": {"name": "Maria Rossi", "email": "maria.rossi@example.org"},
}


async def plain_inserts(concurrency: int, seconds: float) -> float:
    with schema("insert") as name:
        async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as conn:
            await conn.execute(
                f'CREATE TABLE "{name}".cases (id bigserial primary key, body jsonb)'
            )
        body = json.dumps(CASE)
        deadline = time.perf_counter() + seconds
        counts = [0] * concurrency

        async def client(n: int) -> None:
            async with await psycopg.AsyncConnection.connect(DATABASE_URL) as conn:
                while time.perf_counter() < deadline:
                    await conn.execute(f'INSERT INTO "{name}".cases (body) VALUES (%s)', (body,))
                    await conn.commit()
                    counts[n] += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(concurrency)))
        return sum(counts) / (time.perf_counter() - started)


def naive_eventsourcing(concurrency: int, seconds: float) -> float:
    """The walking skeleton's path: every request its own `save`, one writer thread."""
    with schema("naive") as name:
        settings = IntakeSettings(DATABASE_URL=DATABASE_URL, DATABASE_SCHEMA=name)
        ensure_schema(settings)
        app = IntakeApplication(
            load_tenants(TENANTS),
            PostgresCaseIndex(DATABASE_URL, name),
            env=settings.eventsourcing_env(),
        )
        command = RegisterCase(**CASE, actor="bench")
        deadline = time.perf_counter() + seconds
        counts = [0] * concurrency
        writer = ThreadPoolExecutor(max_workers=1)

        def client(n: int) -> None:
            while time.perf_counter() < deadline:
                writer.submit(app.register_case, command).result()
                counts[n] += 1

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rate = sum(counts) / (time.perf_counter() - started)
        writer.shutdown()
        app.close()
        return rate


async def service_throughput(
    tmp: Path, concurrency: int, seconds: float
) -> tuple[float, float, int]:
    """Returns (accepted cases/s, seconds until JetStream held them all, cases accepted)."""
    with nats(tmp) as nats_url, schema("intake") as name:
        env = {
            "NATS_URL": nats_url,
            "DATABASE_URL": DATABASE_URL,
            "DATABASE_SCHEMA": name,
            "SPORTELLO_TENANTS_DIR": str(TENANTS),
            "SPORTELLO_DATA_DIR": str(tmp / "data"),
        }
        with service("intake", env, tmp / "data") as (port, _):
            result = await _post_cases(port, concurrency, seconds)
            relayed_after = await _wait_relayed(nats_url, result.ok, time.perf_counter())
    return result.rate, relayed_after, result.ok


async def embedded_throughput(tmp: Path, concurrency: int, seconds: float) -> float:
    """The same on the embedded default (`make run`: SQLite, one file per service, WAL, every
    commit synced): accepted cases/s."""
    with nats(tmp) as nats_url:
        env = {
            "NATS_URL": nats_url,
            "SPORTELLO_TENANTS_DIR": str(TENANTS),
            "SPORTELLO_DATA_DIR": str(tmp / "embedded"),
        }
        with service("intake", env, tmp / "embedded") as (port, _):
            result = await _post_cases(port, concurrency, seconds)
    return result.rate


async def _post_cases(port: int, concurrency: int, seconds: float) -> LoadResult:
    request = post_request("127.0.0.1", port, "/cases", CASE)
    return await run_load(
        "127.0.0.1", port, lambda _: request, concurrency=concurrency, seconds=seconds
    )


async def _wait_relayed(nats_url: str, expected: int, since: float) -> float:
    nc = await nats_client.connect(servers=[nats_url])
    try:
        js = nc.jetstream()
        while (await js.stream_info("CASES")).state.messages < expected:
            if time.perf_counter() - since > 120:
                raise TimeoutError("the relay did not catch up in 2 minutes")
            await asyncio.sleep(0.05)
        return time.perf_counter() - since
    finally:
        await nc.close()


async def run(tmp: Path, quick: bool) -> list[Figure]:
    # Quick runs beside the rest of the suite on one PostgreSQL (100 connections): fewer clients.
    concurrency = 16 if quick else 64
    seconds = 3.0 if quick else 20.0
    inserts = await plain_inserts(concurrency, seconds)
    naive = await asyncio.to_thread(naive_eventsourcing, concurrency, seconds)
    rate, relay_tail, accepted = await service_throughput(tmp, concurrency, seconds)
    embedded = await embedded_throughput(tmp, concurrency, seconds)
    name = "1 intake throughput"
    return [
        Figure(name, "plain INSERT+COMMIT (a)", inserts, "rows/s"),
        Figure(name, "naive eventsourcing, one save per case (b)", naive, "cases/s"),
        Figure(
            name,
            f"intake-svc POST /cases, {concurrency} clients",
            rate,
            "cases/s",
            baseline="naive (b)",
            baseline_value=naive,
            target="≥ 2,000/s and ≥ 3x (b)",
            met=rate >= 2000 and rate >= 3 * naive,
        ),
        Figure(name, f"relay tail after the load ({accepted} cases)", relay_tail, "s"),
        Figure(
            name,
            f"intake-svc POST /cases on the embedded default (SQLite), {concurrency} clients",
            embedded,
            "cases/s",
            target="≥ 500/s",
            met=embedded >= 500,
        ),
    ]
