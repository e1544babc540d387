"""PostgreSQL crashes and comes back during the run; the services reconnect by themselves.

The machine's shared PostgreSQL is never touched: the test runs a private instance of its own
(initdb + pg_ctl from the installed server binaries, as the `postgres` OS user when the tests run
as root), with `synchronous_commit=on`, and stops it with `-m immediate`: no checkpoint, no
goodbye to the clients, recovery from the WAL on the next start, as after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sportello_devstack.cluster import Cluster
from sportello_devstack.natsserver import free_port

from .conftest import (
    NO_RETRY_AFTER,
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

    def __init__(self, bin_dir: Path, root: Path | None = None, options: str = "") -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = root or Path(tempfile.mkdtemp(prefix="sportello-pg-"))
        self.options = options  # more server settings (`-c name=value ...`)
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
            f"-c synchronous_commit=on -c fsync=on -c max_connections=200 {self.options}"
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

    def processes(self) -> list[int]:
        """The postmaster and every process it started (backends, WAL writer, checkpointer)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    def freeze(self) -> list[int]:
        frozen = self.processes()
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        return frozen

    def thaw(self, frozen: list[int]) -> None:
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def crash(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def is_running(self) -> bool:
        status = subprocess.run(
            [
                *(["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []),
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "status",
            ],
            capture_output=True,
            timeout=30,
            check=False,
        )
        return status.returncode == 0

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


async def test_postgres_frozen_for_20_seconds(
    cluster: Cluster, private_postgres: PrivatePostgres
) -> None:
    """SIGSTOP of the whole server (issue 25): its connections stay open and silent. Every
    registration must be answered within STORE_WAIT_S (5 s) plus a second, with 503 and never
    500, and nothing acknowledged may be lost once the server runs again."""
    rng = fault_random("postgres-frozen")

    async def freeze_postgres(load: Load) -> list[str]:
        await wait_until(load, 0.3)
        await asyncio.sleep(rng.uniform(0.0, 1.0))
        frozen = private_postgres.freeze()
        at = len(load.acknowledged)
        try:
            await asyncio.sleep(20.0)
        finally:
            private_postgres.thaw(frozen)
        return [f"PostgreSQL frozen (SIGSTOP, {len(frozen)} processes) 20 s at {at} acks"]

    expected = await calibrate(cluster)
    report = await run_scenario(
        cluster, "postgres-frozen", cases_per_run(300), freeze_postgres, expected
    )
    assert_nothing_lost(report)
    assert "500" not in report.refused, report.line()
    assert NO_RETRY_AFTER not in report.refused, report.line()
    assert not any(kind.endswith("Timeout") for kind in report.refused), report.line()
    assert float(report.extra["slowest answer"].rstrip("s")) <= 5.0 + 1.0, report.line()
