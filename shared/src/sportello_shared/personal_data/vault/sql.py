"""The same three tables on SQLite and PostgreSQL; only connections and quoting differ."""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Cipher

from .interface import KEY_BYTES, DataKeyVault, StagedKeys, SubjectErasure, link_rows


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
            return sorted(UUID(row[0]) for row in rows_as_tuples(cursor.fetchall()))

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
            rows = rows_as_tuples(cursor.fetchall())
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
            row = row_as_tuple(cursor.fetchone())
        return self._unwrap(bytes(row[0]))

    def _read_stored(self, subject: str) -> tuple[bytes | None, bool] | None:
        with self._transaction(write=False) as cursor:
            cursor.execute(
                self._sql("SELECT data_key, erased_at FROM {subjects} WHERE subject = ?"),
                (subject,),
            )
            row = row_as_tuple(cursor.fetchone())
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
            rows = rows_as_tuples(cursor.fetchall())
        return {r[0]: (None if r[1] is None else bytes(r[1]), r[2] is not None) for r in rows}

    @property
    def writes_in_transaction(self) -> bool:
        """Whether the event store's transaction can write these tables (same database): once
        the vault uses the store's own connections."""
        return False

    def stage(
        self, subjects: Iterable[str], links: Iterable[tuple[UUID, str]] = ()
    ) -> StagedKeys | None:
        """The keys of subjects not cached are read (one query, no transaction); those nobody
        stored are made here and handed back with the links, to be inserted with the events
        (`write_staged`). A key another process stores meanwhile fails that insert, and so the
        transaction: nothing sealed under an unstored key is ever committed."""
        if not self.writes_in_transaction:
            return super().stage(subjects, links)
        missing = self._uncached(subjects)
        for subject, stored in self._read_many(missing).items():
            self._remember_stored(subject, stored)
        new = {s: os.urandom(KEY_BYTES) for s in missing if self._cached(s) is None}
        rows = link_rows(links)
        return StagedKeys(new, rows) if new or rows else None

    def _read_many(self, subjects: list[str]) -> dict[str, tuple[bytes | None, bool]]:
        if not subjects:
            return {}
        marks = ", ".join("?" for _ in subjects)
        query = f"SELECT subject, data_key, erased_at FROM {{subjects}} WHERE subject IN ({marks})"
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql(query), subjects)
            rows = rows_as_tuples(cursor.fetchall())
        return {r[0]: (None if r[1] is None else bytes(r[1]), r[2] is not None) for r in rows}

    def write_staged(self, cursor: Any, staged: StagedKeys) -> None:
        """With the events' cursor: a key stored meanwhile by another process is a conflict
        (no ON CONFLICT), which fails the transaction and so the events sealed under ours."""
        if staged.keys:
            cursor.executemany(
                self._sql("INSERT INTO {subjects} (subject, data_key) VALUES (?, ?)"),
                [(subject, self._wrap(key)) for subject, key in staged.keys.items()],
            )
        if staged.links:
            cursor.executemany(
                self._sql(
                    "INSERT INTO {links} (aggregate_id, subject) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING"
                ),
                staged.links,
            )

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


def row_as_tuple(row: Any) -> Any:
    """Rows as tuples, whether the cursor makes tuples or dicts (eventsourcing's pool)."""
    return tuple(row.values()) if isinstance(row, dict) else row


def rows_as_tuples(rows: list[Any]) -> list[Any]:
    return [row_as_tuple(row) for row in rows]
