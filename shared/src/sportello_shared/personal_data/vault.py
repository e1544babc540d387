"""Per-data-subject keys (crypto-shredding): one AES key per citizen, kept in the service's store.

Deleting a subject's key makes every field sealed under it unreadable, in every event of the
history and in every backup taken since, while the events themselves (ids, versions, dates,
categories, organizations) stay and keep counts and reports what they were.

The keys live beside the events (same SQLite file or PostgreSQL schema), wrapped with the store's
own cipher (`CIPHER_KEY`) when there is one, so a dump holds neither the data nor its key in clear.
Which aggregates belong to which subject is kept too: erasure by e-mail or by case finds them all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import psycopg
from eventsourcing.persistence import Cipher
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg import sql

KEY_BYTES: Final = 32
# How long a replica trusts a key it read: an erasure made by another replica takes effect there
# within this time (the replica that erases forgets the key at once).
KEY_CACHE_SECONDS: Final = 60.0


class Erased:
    """The key of this subject was deleted: what was sealed under it is gone for good."""

    def __repr__(self) -> str:
        return "ERASED"


ERASED: Final = Erased()


@dataclass(frozen=True)
class SubjectErasure:
    subject: str
    erased_at: datetime
    erased_by: str


class DataKeyVault(ABC):
    """Keys per data subject, and which aggregates each subject's data is in."""

    def __init__(self, cipher: Cipher | None) -> None:
        self._cipher = cipher
        self._cache: dict[str, tuple[bytes | Erased, float]] = {}
        self._cache_lock = threading.Lock()
        self._pepper: bytes | None = None

    # --- what the mapper and the applications use ------------------------------------------------

    def pseudonym(self, kind: str, value: str) -> str:
        """A stable, non-reversible name for a data subject (e.g. `email` + the address)."""
        if self._pepper is None:
            self._pepper = self._load_pepper()
        digest = hmac.new(self._pepper, f"{kind}:{value}".encode(), hashlib.sha256)
        return f"{kind}:{digest.hexdigest()[:40]}"

    def key(self, subject: str, *, create: bool = True) -> bytes | Erased | None:
        """The subject's key (made on first use), ERASED if it was deleted, None if unknown."""
        cached = self._cached(subject)
        if cached is not None:
            return cached
        found = self._read_key(subject)
        if found is None and create:
            self.ensure([subject])  # remembers the key that was stored, ours or a replica's
            return self._cached(subject)
        if found is not None:
            self._remember(subject, found)
        return found

    def ensure(self, subjects: Iterable[str], links: Iterable[tuple[UUID, str]] = ()) -> None:
        """Make the keys of new subjects and record which aggregates hold whose data, in one
        transaction.

        Called before the events that need the keys are saved, so a key is always durable before
        anything sealed under it; a key of a registration that then failed is simply unused.
        An aggregate may be linked to several pseudonyms of one person (e-mail and phone), so an
        erasure asked for by either finds it.
        """
        missing = [s for s in set(subjects) if self._cached(s) is None]
        rows = [(str(aggregate_id), subject) for aggregate_id, subject in links]
        if not missing and not rows:
            return
        new_keys = [(s, self._wrap(os.urandom(KEY_BYTES))) for s in missing]
        # Another replica may have made some of these keys first: cache what was stored.
        for subject, (wrapped, erased) in self._insert(new_keys, rows).items():
            self._remember(subject, ERASED if erased or wrapped is None else self._unwrap(wrapped))

    def erase(self, subjects: Sequence[str], actor: str, at: datetime) -> None:
        """Delete the subjects' keys (a subject never seen before is recorded as erased too)."""
        self._delete_keys(list(subjects), actor, at)
        with self._cache_lock:
            for subject in subjects:
                self._cache[subject] = (ERASED, time.monotonic())

    @abstractmethod
    def aggregates_of(self, subjects: Sequence[str]) -> list[UUID]: ...

    @abstractmethod
    def erasures(self, subjects: Sequence[str]) -> list[SubjectErasure]: ...

    def close(self) -> None:  # noqa: B027 - only the PostgreSQL vault holds a connection
        """Release connections."""

    # --- storage, per database -------------------------------------------------------------------

    @abstractmethod
    def _load_pepper(self) -> bytes: ...

    @abstractmethod
    def _read_stored(self, subject: str) -> tuple[bytes | None, bool] | None: ...

    @abstractmethod
    def _insert(
        self, keys: list[tuple[str, bytes]], links: list[tuple[str, str]]
    ) -> dict[str, tuple[bytes | None, bool]]:
        """Insert what is missing; return the stored (wrapped key, erased) of `keys`' subjects."""

    @abstractmethod
    def _delete_keys(self, subjects: list[str], actor: str, at: datetime) -> None: ...

    def _read_key(self, subject: str) -> bytes | Erased | None:
        stored = self._read_stored(subject)
        if stored is None:
            return None
        wrapped, erased = stored
        if erased or wrapped is None:
            return ERASED
        return self._unwrap(wrapped)

    def _new_pepper(self) -> bytes:
        return self._wrap(os.urandom(KEY_BYTES))

    def _wrap(self, key: bytes) -> bytes:
        return self._cipher.encrypt(key) if self._cipher else key

    def _unwrap(self, stored: bytes) -> bytes:
        return self._cipher.decrypt(stored) if self._cipher else stored

    def _cached(self, subject: str) -> bytes | Erased | None:
        with self._cache_lock:
            entry = self._cache.get(subject)
        if entry is None:
            return None
        value, fetched = entry
        if value is not ERASED and time.monotonic() - fetched > KEY_CACHE_SECONDS:
            return None
        return value

    def _remember(self, subject: str, value: bytes | Erased) -> None:
        with self._cache_lock:
            if len(self._cache) > 100_000:
                self._cache.clear()  # bounded memory; the keys are read again when needed
            self._cache[subject] = (value, time.monotonic())


class InMemoryDataKeyVault(DataKeyVault):
    """For in-memory stores (unit tests, replays): the same rules, nothing on disk."""

    def __init__(self, cipher: Cipher | None = None) -> None:
        super().__init__(cipher)
        self._keys: dict[str, bytes | None] = {}
        self._erasures: dict[str, SubjectErasure] = {}
        self._links: set[tuple[UUID, str]] = set()
        self._lock = threading.Lock()
        self._stored_pepper = self._new_pepper()

    def aggregates_of(self, subjects: Sequence[str]) -> list[UUID]:
        with self._lock:
            return sorted({a for a, s in self._links if s in subjects})

    def erasures(self, subjects: Sequence[str]) -> list[SubjectErasure]:
        return [self._erasures[s] for s in subjects if s in self._erasures]

    def _load_pepper(self) -> bytes:
        return self._unwrap(self._stored_pepper)

    def _read_stored(self, subject: str) -> tuple[bytes | None, bool] | None:
        with self._lock:
            if subject not in self._keys:
                return None
            return self._keys[subject], subject in self._erasures

    def _insert(
        self, keys: list[tuple[str, bytes]], links: list[tuple[str, str]]
    ) -> dict[str, tuple[bytes | None, bool]]:
        with self._lock:
            for subject, key in keys:
                self._keys.setdefault(subject, key)
            for aggregate_id, subject in links:
                self._links.add((UUID(aggregate_id), subject))
            return {s: (self._keys[s], s in self._erasures) for s, _ in keys}

    def _delete_keys(self, subjects: list[str], actor: str, at: datetime) -> None:
        with self._lock:
            for subject in subjects:
                self._keys[subject] = None
                self._erasures.setdefault(subject, SubjectErasure(subject, at, actor))


class SqlDataKeyVault(DataKeyVault):
    """The same three tables on SQLite and PostgreSQL; only connections and quoting differ."""

    placeholder = "?"

    def __init__(self, cipher: Cipher | None, tables: Mapping[str, str], blob: str) -> None:
        super().__init__(cipher)
        self._t = dict(tables)
        self._create_tables(blob)

    @abstractmethod
    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]: ...

    def _sql(self, text: str) -> str:
        return text.format(**self._t).replace("?", self.placeholder)

    def _create_tables(self, blob: str) -> None:
        statements = (
            "CREATE TABLE IF NOT EXISTS {subjects} (subject TEXT PRIMARY KEY, "
            f"data_key {blob}, erased_at TEXT, erased_by TEXT)",
            "CREATE TABLE IF NOT EXISTS {links} (aggregate_id TEXT NOT NULL, "
            "subject TEXT NOT NULL, PRIMARY KEY (aggregate_id, subject))",
            "CREATE INDEX IF NOT EXISTS {links_index} ON {links} (subject)",
            f"CREATE TABLE IF NOT EXISTS {{meta}} (name TEXT PRIMARY KEY, value {blob} NOT NULL)",
        )
        with self._transaction() as cursor:
            for statement in statements:
                cursor.execute(self._sql(statement))

    def aggregates_of(self, subjects: Sequence[str]) -> list[UUID]:
        if not subjects:
            return []
        marks = ", ".join("?" for _ in subjects)
        query = f"SELECT DISTINCT aggregate_id FROM {{links}} WHERE subject IN ({marks})"
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql(query), list(subjects))
            return sorted(UUID(row[0]) for row in _tuples(cursor.fetchall()))

    def erasures(self, subjects: Sequence[str]) -> list[SubjectErasure]:
        if not subjects:
            return []
        marks = ", ".join("?" for _ in subjects)
        query = (
            "SELECT subject, erased_at, erased_by FROM {subjects} "
            f"WHERE erased_at IS NOT NULL AND subject IN ({marks})"
        )
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql(query), list(subjects))
            rows = _tuples(cursor.fetchall())
        return [SubjectErasure(r[0], datetime.fromisoformat(r[1]), r[2]) for r in rows]

    def _load_pepper(self) -> bytes:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    "INSERT INTO {meta} (name, value) VALUES ('pepper', ?) ON CONFLICT DO NOTHING"
                ),
                (self._new_pepper(),),
            )
            cursor.execute(self._sql("SELECT value FROM {meta} WHERE name = 'pepper'"))
            row = _tuple(cursor.fetchone())
        return self._unwrap(bytes(row[0]))

    def _read_stored(self, subject: str) -> tuple[bytes | None, bool] | None:
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql("SELECT data_key, erased_at FROM {subjects} WHERE subject = ?"),
                (subject,),
            )
            row = _tuple(cursor.fetchone())
        if row is None:
            return None
        return (None if row[0] is None else bytes(row[0])), row[1] is not None

    def _insert(
        self, keys: list[tuple[str, bytes]], links: list[tuple[str, str]]
    ) -> dict[str, tuple[bytes | None, bool]]:
        with self._transaction() as cursor:
            if keys:
                cursor.executemany(
                    self._sql(
                        "INSERT INTO {subjects} (subject, data_key) VALUES (?, ?) "
                        "ON CONFLICT DO NOTHING"
                    ),
                    keys,
                )
            if links:
                cursor.executemany(
                    self._sql(
                        "INSERT INTO {links} (aggregate_id, subject) VALUES (?, ?) "
                        "ON CONFLICT DO NOTHING"
                    ),
                    links,
                )
            if not keys:
                return {}
            marks = ", ".join("?" for _ in keys)
            cursor.execute(
                self._sql(
                    "SELECT subject, data_key, erased_at FROM {subjects} "
                    f"WHERE subject IN ({marks})"
                ),
                [subject for subject, _ in keys],
            )
            rows = _tuples(cursor.fetchall())
        return {r[0]: (None if r[1] is None else bytes(r[1]), r[2] is not None) for r in rows}

    def _delete_keys(self, subjects: list[str], actor: str, at: datetime) -> None:
        with self._transaction() as cursor:
            cursor.executemany(
                self._sql(
                    "INSERT INTO {subjects} (subject, data_key, erased_at, erased_by) "
                    "VALUES (?, NULL, ?, ?) ON CONFLICT (subject) DO UPDATE SET data_key = NULL, "
                    "erased_at = COALESCE({subjects_bare}.erased_at, excluded.erased_at), "
                    "erased_by = COALESCE({subjects_bare}.erased_by, excluded.erased_by)"
                ),
                [(s, at.isoformat(), actor) for s in subjects],
            )


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

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
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


def _tuple(row: Any) -> Any:
    """Rows as tuples, whether the cursor makes tuples or dicts (eventsourcing's pool)."""
    return tuple(row.values()) if isinstance(row, dict) else row


def _tuples(rows: list[Any]) -> list[Any]:
    return [_tuple(row) for row in rows]


def open_vault(env: Mapping[str, str], app_name: str, cipher: Cipher | None) -> DataKeyVault:
    """The vault beside the application's own event store, as its environment configures it."""
    module = env.get("PERSISTENCE_MODULE", "eventsourcing.popo")
    if module == "eventsourcing.sqlite":
        path = env.get("SQLITE_DBNAME", ":memory:")
        if ":memory:" in path or "mode=memory" in path:
            return InMemoryDataKeyVault(cipher)
        return SQLiteDataKeyVault(path, cipher)
    if module == "eventsourcing.postgres":
        conninfo = {
            "dbname": env.get("POSTGRES_DBNAME", "postgres"),
            "host": env.get("POSTGRES_HOST", "127.0.0.1"),
            "port": int(env.get("POSTGRES_PORT", "5432")),
            "user": env.get("POSTGRES_USER", "postgres"),
            "password": env.get("POSTGRES_PASSWORD", ""),
            "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
        }
        schema = env.get("POSTGRES_SCHEMA", "public")
        return PostgresDataKeyVault(conninfo, schema, app_name, cipher)
    return InMemoryDataKeyVault(cipher)
