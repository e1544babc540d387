"""PostgreSQL's file system full for 20 s under load (issue 25).

A private PostgreSQL (as in test_postgres_restart.py) keeps its data directory on a 192 MiB
tmpfs of its own; at 30 % of the run a filler file takes every free byte, 20 s later it is
deleted. Should the server stop itself meanwhile (a WAL write that cannot be made is a PANIC),
it is started again as a service manager would once space is back. Every registration must get
an answer, none a 500, and nothing acknowledged may be lost.

The slowest answer is reported but not yet held to STORE_WAIT_S + 1 s as in the frozen and the
SQLite scenarios: the first run here measured 10.4 s for one request (the second 5.2 s), not
explained yet (docs/reliability.md); the report lists answers slower than 6 s.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sportello_devstack.cluster import Cluster

from .conftest import (
    NO_RETRY_AFTER,
    Load,
    assert_nothing_lost,
    calibrate,
    cases_per_run,
    run_scenario,
    running_cluster,
    wait_until,
)
from .test_postgres_restart import PrivatePostgres, postgres_bin_dir
from .test_sqlite_disk_full import disk_filled

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def postgres_on_small_disk() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no PostgreSQL server binaries (initdb/pg_ctl) to run a private instance")
    mount = Path(tempfile.mkdtemp(prefix="sportello-pg-disk-"))
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    server = PrivatePostgres(bin_dir, mount, options="-c min_wal_size=32MB -c max_wal_size=64MB")
    if os.geteuid() == 0:
        shutil.chown(mount, server.user, server.user)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, postgres_on_small_disk: PrivatePostgres
) -> Iterator[Cluster]:
    with running_cluster(
        tmp_path_factory.mktemp("pg-disk-cluster"), postgres_on_small_disk.url, 2
    ) as running:
        yield running


async def test_postgres_file_system_full_for_20_seconds(
    cluster: Cluster, postgres_on_small_disk: PrivatePostgres
) -> None:
    server = postgres_on_small_disk

    async def fill_the_disk(load: Load) -> list[str]:
        await wait_until(load, 0.3)
        at = len(load.acknowledged)
        with disk_filled(server.root) as size:
            await asyncio.sleep(20.0)
        log = [f"PostgreSQL's file system full ({size >> 20} MiB filler) 20 s at {at} acks"]
        if not await asyncio.to_thread(server.is_running):
            await asyncio.to_thread(server.start)
            log.append("PostgreSQL had stopped itself (PANIC): started again")
        return log

    expected = await calibrate(cluster)
    report = await run_scenario(
        cluster, "postgres-disk-full", cases_per_run(300), fill_the_disk, expected
    )
    assert_nothing_lost(report)
    assert "500" not in report.refused, report.line()
    assert NO_RETRY_AFTER not in report.refused, report.line()
