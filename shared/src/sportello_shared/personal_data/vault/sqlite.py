"""The vault in the service's SQLite file, beside its events."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import Cipher
from eventsourcing.sqlite import SQLiteDatastore

from .sql import SqlDataKeyVault


class SQLiteDataKeyVault(SqlDataKeyVault):
    def __init__(self, path: str, cipher: Cipher | None) -> None:
        self._path = path
        self._local = threading.local()
        tables = {
            "subjects": "data_subjects",
            "subjects_bare": "data_subjects",
            "links": "data_subject_links",
            "links_index": "data_subject_links_subject",
            "meta": "data_subject_meta",
        }
        super().__init__(cipher, tables, "BLOB")

    def use_datastore(self, datastore: SQLiteDatastore) -> None:
        """Write through the event store's own connections once it exists: eventsourcing
        serialises its writers on them, and a second writing connection makes its deferred
        transactions fail with "database is locked"."""
        self._datastore = datastore

    @property
    def writes_in_transaction(self) -> bool:
        return getattr(self, "_datastore", None) is not None

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
        datastore: SQLiteDatastore | None = getattr(self, "_datastore", None)
        if datastore is not None:
            with datastore.transaction(commit=write) as shared_cursor:
                yield shared_cursor
            return
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # One connection per thread: sqlite3 connections must stay on their thread.
            connection = sqlite3.connect(self._path, timeout=10.0, isolation_level=None)
            self._local.connection = connection
        cursor = connection.cursor()
        # Reads must not take the write lock: eventsourcing's own connections upgrade deferred
        # transactions to writes, and SQLite answers "database is locked" to an upgrade while
        # another connection holds it.
        cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
