"""PostgreSQL crashes and comes back during the run; the services reconnect by themselves.

The machine's shared PostgreSQL is never touched: the test runs a private instance of its own
(initdb + pg_ctl from the installed server binaries, as the `postgres` OS user when the tests run
as root), with `synchronous_commit=on`, and stops it with `-m immediate`: no checkpoint, no
goodbye to the clients, recovery from the WAL on the next start, as after a crash.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sportello_devstack.cluster import Cluster
from sportello_devstack.natsserver import free_port

from .conftest import (
    Load,
    assert_nothing_lost,
    calibrate,
    cases_per_run,
    fault_random,
    run_scenario,
    running_cluster,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.timeout(900)]


class PrivatePostgres:
    """A throw-away PostgreSQL server on a free loopback port, trust auth, fsync on."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="sportello-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.root, self.user, self.user)

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            self.user,
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c synchronous_commit=on -c fsync=on -c max_connections=200"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def crash(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def stop(self) -> None:
        subprocess.run(
            [
                *(["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []),
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "fast",
                "stop",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def postgres_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no PostgreSQL server binaries (initdb/pg_ctl) to run a private instance")
    server = PrivatePostgres(bin_dir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, private_postgres: PrivatePostgres
) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("pg-cluster"), private_postgres.url, 2) as c:
        yield c


async def test_postgres_crash_and_restart(
    cluster: Cluster, private_postgres: PrivatePostgres
) -> None:
    rng = fault_random("postgres")

    async def crash_postgres(load: Load) -> list[str]:
        log = []
        for share in (0.2, 0.6):
            await wait_until(load, share)
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            await asyncio.to_thread(private_postgres.crash)
            down = rng.uniform(2.0, 5.0)
            log.append(
                f"PostgreSQL crash (immediate stop) {down:.1f}s at {len(load.acknowledged)} acks"
            )
            await asyncio.sleep(down)
            await asyncio.to_thread(private_postgres.start)
        return log

    expected = await calibrate(cluster)
    report = await run_scenario(
        cluster, "postgres-crash", cases_per_run(300), crash_postgres, expected
    )
    assert_nothing_lost(report)
