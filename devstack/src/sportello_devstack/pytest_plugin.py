"""Fixtures for every test tier: a real NATS and a real PostgreSQL, isolated per test."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from hypothesis import settings
from psycopg import sql
from xdist.scheduler import LoadScopeScheduling

from .issuer import DevIssuer
from .natsserver import NatsAccounts, NatsServer

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"


class _AccountPool:
    """This session's (this xdist worker's) shared nats-servers, one fresh account per test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server: NatsAccounts | None = None
        self.started = 0

    def take(self) -> str:
        if self.server is None or self.server.exhausted:
            # Tests of a full server have ended (nats_url is function-scoped): replace it.
            self.close()
            self.started += 1
            self.server = NatsAccounts(self.root / f"nats-{self.started}").start()
        return self.server.take()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture(scope="session")
def _nats_accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_AccountPool]:
    pool = _AccountPool(tmp_path_factory.mktemp("nats"))
    yield pool
    pool.close()


@pytest.fixture
def nats_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """NATS_URL when set; else an account of its own on this session's nats-server 2.15.

    A NATS account has its own subjects, streams and consumers: a test sees nothing of another
    test's. `@pytest.mark.own_nats` gives a test a server of its own instead (for tests that
    look at the server itself).
    """
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    if request.node.get_closest_marker("own_nats"):
        with NatsServer(tmp_path / "nats") as server:
            yield server.url
        return
    pool: _AccountPool = request.getfixturevalue("_nats_accounts")
    yield pool.take()


def _reachable(url: str, attempts: int = 5) -> bool:
    """A server that is there but busy for a moment (all its connections taken by the other
    workers' stacks) is asked again: a "no" is cached, and skips every PostgreSQL test of the
    worker."""
    for attempt in range(attempts):
        try:
            with psycopg.connect(url, connect_timeout=3):
                return True
        except psycopg.OperationalError:
            if attempt < attempts - 1:
                time.sleep(1.0 + attempt)
    return False


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """DATABASE_URL, else the local server, else testcontainers where Docker runs, else skip."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if _reachable(url):
        yield url
        return
    try:
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
    except Exception as exc:  # no Docker engine either
        reason = f"no PostgreSQL reachable at {url} and no Docker for testcontainers: {exc}"
        if os.environ.get("CI"):  # CI has PostgreSQL: skipping its tests would pass them unseen
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def pg_schema(database_url: str) -> Iterator[str]:
    """A schema of this test's own, dropped afterwards: never touch data a test did not create."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    yield schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="session")
def cipher_key() -> str:
    return AESCipher.create_key(32)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path, cipher_key: str) -> dict[str, str]:
    """Settings overrides for one event store; suites using it run on SQLite and PostgreSQL.

    Stores are encrypted as in production, so every suite also exercises the cipher.
    """
    if request.param == "sqlite":
        return {"SPORTELLO_DATA_DIR": str(tmp_path / "data"), "CIPHER_KEY": cipher_key}
    database_url = request.getfixturevalue("database_url")
    schema = request.getfixturevalue("pg_schema")
    return {
        "DATABASE_URL": database_url,
        "DATABASE_SCHEMA": schema,
        "SPORTELLO_DATA_DIR": str(tmp_path / "data"),
        "CIPHER_KEY": cipher_key,
    }


@pytest.fixture
def issuer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DevIssuer:
    """Authentication on, as in production: a local issuer whose JWKS the services read from the
    environment (set before a test builds its app). `issuer.token(role, tenant, organization)`."""
    issuer = DevIssuer(tmp_path / "auth")
    for key, value in issuer.env().items():
        monkeypatch.setenv(key, value)
    return issuer


def pytest_configure() -> None:
    # A stopping service waits at most one long poll for its consumers: keep the many
    # start/stop cycles of the suite short (production keeps its 1 s). Services started as
    # processes by the e2e and fault tests inherit it.
    os.environ.setdefault("CONSUMER_LONG_POLL", "0.2")
    # Four workers share one PostgreSQL (100 connections by default): each test's stores take
    # a small pool (eventsourcing reads these from the environment), as the fault cluster's do.
    os.environ.setdefault("POSTGRES_POOL_SIZE", "2")
    os.environ.setdefault("POSTGRES_MAX_OVERFLOW", "6")
    # Property tests judge results, not speed (benchmarks under bench/ do): no per-example
    # deadline, which a loaded machine (four workers on two cores) turns into false failures.
    settings.register_profile("sportello", deadline=None)
    settings.load_profile("sportello")


# The order the suite runs in. pytest-xdist (`make test`, --dist loadscope with
# --no-loadscope-reorder) hands whole modules to its workers in this order: the unit tier first
# (a failure there shows within the first minute), then the long modules (bench-quick, the
# four-process stacks of the e2e journeys, the fuzzer), so that no long module starts last and
# keeps one worker busy while the others are done; then the many short integration modules. The
# browser tests come last on purpose: Playwright's sync API leaves an event loop running in the
# worker, and every asyncio test after it on that worker fails ("Runner.run() cannot be called
# from a running event loop"). Run alone, the same order holds. (The fault scenarios run after
# the parallel part, alone: see the Makefile.)
ORDER = (
    "/faults/test_faults.py",
    "/faults/",
    "/unit/",
    "/bench/",
    "/e2e/",
    "/security/test_hostile_input.py",
    "/integration/",
    "/contract/",
    "/deploy/",
    "/security/",
    "/partners/",
)


def tier(path: str) -> int:
    if "/browser/" in path:
        return len(ORDER) + 1  # after everything else, whatever else is added (see above)
    for rank, marker in enumerate(ORDER):
        if marker in path:
            return rank
    return len(ORDER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: tier(str(item.path)))


class _FaultAwareScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """--dist loadscope, except that the fault scenarios other than test_faults.py's form one
    unit: each scenario runs a cluster or a private server of its own, and two such at once on
    two cores would measure the machine, not the fault. So at most two run at a time: the
    module test_faults.py (its cluster shared by its scenarios) and the others in turn."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        if "/faults/" in f"/{path}" and not path.endswith("/test_faults.py"):
            return "tests/faults: the other scenarios, one after the other"
        return str(super()._split_scope(nodeid))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") == "loadscope":
        return _FaultAwareScheduling(config, log)
    return None
