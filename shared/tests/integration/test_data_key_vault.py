"""The data key vault on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment
from sportello_shared.personal_data.vault import ERASED, DataKeyVault, open_vault

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "s.db"),
        }
    database_url = request.getfixturevalue("database_url")
    schema = request.getfixturevalue("pg_schema")
    from urllib.parse import urlparse

    url = urlparse(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_SCHEMA": schema,
    }


@pytest.fixture
def cipher() -> AESCipher:
    return AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(32)}))


@pytest.fixture
def vault(env: dict[str, str], cipher: AESCipher) -> Iterator[DataKeyVault]:
    opened = open_vault(env, "test", cipher)
    yield opened
    opened.close()


def test_keys_and_pseudonyms_survive_a_restart_and_erasure_is_seen_by_every_reader(
    env: dict[str, str], vault: DataKeyVault, cipher: AESCipher
) -> None:
    case = uuid4()
    vault.ensure(["email:ada"], [(case, "email:ada"), (case, "phone:1")])
    key = vault.key("email:ada")
    pseudonym = vault.pseudonym("email", "ada@example.org")

    other = open_vault(env, "test", cipher)  # another replica, or the service after a restart
    try:
        assert other.key("email:ada", create=False) == key
        assert other.pseudonym("email", "ada@example.org") == pseudonym
        assert other.aggregates_of(["phone:1"]) == [case]

        vault.erase(["email:ada"], "dpo", AT)
        vault.erase(["email:ada"], "someone-later", AT)  # the first erasure is the one recorded

        late_reader = open_vault(env, "test", cipher)
        try:
            assert late_reader.key("email:ada", create=False) is ERASED
            assert late_reader.key("email:ada") is ERASED  # never made again
            [erasure] = late_reader.erasures(["email:ada"])
            assert (erasure.erased_by, erasure.erased_at) == ("dpo", AT)
        finally:
            late_reader.close()
    finally:
        other.close()


def test_a_key_is_stored_wrapped_by_the_store_cipher(
    env: dict[str, str], vault: DataKeyVault
) -> None:
    vault.ensure(["email:ada"])
    key = vault.key("email:ada")
    assert isinstance(key, bytes)
    without_the_store_key = open_vault(env, "test", None)
    try:
        assert without_the_store_key.key("email:ada", create=False) != key
    finally:
        without_the_store_key.close()
