"""SQLite's file system full for 20 s under a steady stream of registrations (issue 25).

intake runs on SQLite (as `make run` does) with its data directory on a private 24 MiB tmpfs;
at 30 % of the run a filler file takes every free byte, and 20 s later it is deleted. Clients
retry with their Idempotency-Key on 503. Every registration must be answered (201, 200 replay or
503 with Retry-After) within STORE_WAIT_S plus a second, none with 500, and every acknowledged
case must be in the store afterwards, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sportello_devstack.testing import eventually
from sportello_intake.main import IntakeSettings, build

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]
ROOT = Path(__file__).parents[2]
CASES = 300
STORE_WAIT_S = 3.0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@contextlib.contextmanager
def disk_filled(mount: Path) -> Iterator[int]:
    """A file takes every free byte of `mount` until the block ends; yields its size."""
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    written = 0
    try:
        chunk = b"\0" * (1 << 16)
        with contextlib.suppress(OSError):  # ENOSPC: full (unbuffered: nothing left to flush)
            while True:
                written += os.write(fd, chunk)
        os.close(fd)
        fd = -1
        yield written
    finally:
        if fd >= 0:
            os.close(fd)
        filler.unlink()


@pytest.fixture
async def client(small_disk: Path, nats_url: str, cipher_key: str) -> AsyncIterator[Any]:
    settings = IntakeSettings(
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        SPORTELLO_DATA_DIR=str(small_disk),
        CIPHER_KEY=cipher_key,
        STORE_WAIT_S=STORE_WAIT_S,
        RELAY_POLL_INTERVAL=0.05,
    )  # type: ignore[call-arg]
    application = build(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client


def body(index: int) -> dict[str, Any]:
    return {
        "tenant": "pisa",
        "kind": "reclamo",
        "channel": "phone",
        "category": "parcheggi",
        "description": f"Il parcometro n. {index} non accetta monete",
        "citizen": {"name": "Giulia Bianchi", "email": f"disk-full-{index}@example.org"},
    }


async def test_sqlite_file_system_full_for_20_seconds(
    client: httpx.AsyncClient, small_disk: Path
) -> None:
    answers: Counter[int] = Counter()
    acknowledged: dict[int, str] = {}
    slowest = 0.0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(CASES):
        queue.put_nowait(index)

    async def register(index: int) -> None:
        nonlocal slowest
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = await client.post(
                "/cases", json=body(index), headers={"Idempotency-Key": f"disk-full-{index}"}
            )
            slowest = max(slowest, time.monotonic() - started)
            answers[response.status_code] += 1
            if response.status_code in (200, 201):
                acknowledged[index] = response.json()["case_id"]
                return
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"]
            await asyncio.sleep(0.2)

    async def worker() -> None:
        while not queue.empty():
            await register(queue.get_nowait())
            await asyncio.sleep(0.02)  # a steady stream, not a flood

    async def fill_the_disk() -> str:
        while len(acknowledged) < 0.3 * CASES:
            await asyncio.sleep(0.05)
        at = len(acknowledged)
        with disk_filled(small_disk) as size:
            await asyncio.sleep(20.0)
        return f"file system full ({size >> 10} KiB filler) 20 s at {at} acks"

    started = time.monotonic()
    fault = asyncio.create_task(fill_the_disk())
    await asyncio.gather(*(worker() for _ in range(8)))
    fault_log = await fault

    async def all_stored() -> bool:
        page = await client.get("/cases", params={"tenant": "pisa", "limit": 1})
        return page.status_code == 200 and page.json()["total"] == CASES

    await eventually(all_stored, timeout=60)
    stored = 0
    for case_id in acknowledged.values():
        stored += (await client.get(f"/cases/{case_id}")).status_code == 200
    line = (
        f"sqlite-disk-full: sent {sum(answers.values())}, answers {dict(sorted(answers.items()))}, "
        f"acknowledged {len(acknowledged)}, stored {stored}, lost {len(acknowledged) - stored}, "
        f"slowest answer {slowest:.1f}s, {time.monotonic() - started:.0f}s; faults: {fault_log}"
    )
    sys.stdout.write(line + "\n")
    assert len(acknowledged) == CASES == stored, line
    assert 500 not in answers and answers[503] > 0, line
    assert slowest <= STORE_WAIT_S + 1, line
