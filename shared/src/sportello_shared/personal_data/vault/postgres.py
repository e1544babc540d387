"""The vault in the service's PostgreSQL schema, beside its events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import Cipher
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from .sql import SqlDataKeyVault


class PostgresDataKeyVault(SqlDataKeyVault):
    """On PostgreSQL the vault borrows the event store's connection pool once the store exists
    (`use_pool`): replicas add no connections of their own. Until then, and when used on its own
    (tools, tests), it keeps one connection behind a lock."""

    placeholder = "%s"

    def __init__(
        self, conninfo: dict[str, Any], schema: str, app: str, cipher: Cipher | None
    ) -> None:
        self._conninfo = conninfo
        self._connection: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._datastore: PostgresDatastore | None = None

        def qualified(name: str) -> str:
            return sql.Identifier(schema, f"{app}_{name}").as_string(None)

        tables = {
            "subjects": qualified("data_subjects"),
            "subjects_bare": sql.Identifier(f"{app}_data_subjects").as_string(None),
            "links": qualified("data_subject_links"),
            "links_index": sql.Identifier(f"{app}_data_subject_links_subject").as_string(None),
            "meta": qualified("data_subject_meta"),
        }
        super().__init__(cipher, tables, "BYTEA")

    def use_pool(self, datastore: PostgresDatastore) -> None:
        self._datastore = datastore
        self.close()

    @property
    def writes_in_transaction(self) -> bool:
        return self._datastore is not None

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
        if self._datastore is not None and not write:
            # one statement: the pool's autocommit connection (no BEGIN, no COMMIT)
            with self._datastore.get_connection() as conn, conn.cursor() as cursor:
                yield cursor
            return
        if self._datastore is not None:
            with self._datastore.transaction(commit=True) as cursor:
                yield cursor
            return
        with self._lock:
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(**self._conninfo)
            try:
                with self._connection.transaction(), self._connection.cursor() as cursor:
                    yield cursor
            except psycopg.OperationalError:
                self._connection.close()
                raise

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
