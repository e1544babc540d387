"""The search index as a table: SQLite (a file of its own) or PostgreSQL (the service's schema)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from ..search import COLUMNS, ORDER, CaseQuery, CaseRow


def _upsert_statement(table: str, placeholder: str) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "case_id")
    return (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join([placeholder] * len(COLUMNS))}) "
        f"ON CONFLICT (case_id) DO UPDATE SET {updates} WHERE {table}.version < excluded.version"
    )


_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    case_id TEXT PRIMARY KEY, version INTEGER NOT NULL, tenant TEXT NOT NULL,
    reference TEXT NOT NULL, status TEXT NOT NULL, is_open BOOLEAN NOT NULL,
    organization TEXT, category TEXT NOT NULL, kind TEXT NOT NULL, channel TEXT NOT NULL,
    received_us BIGINT NOT NULL, updated_us BIGINT NOT NULL, external_key TEXT
)"""
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS {name}_tenant_received ON {table} (tenant, received_us)",
    "CREATE INDEX IF NOT EXISTS {name}_org_status ON {table} (organization, status)",
    "CREATE UNIQUE INDEX IF NOT EXISTS {name}_reference ON {table} (reference)",
)


class SQLiteCaseIndex:
    """A file of its own beside the event store, so searches never wait on the writer's lock."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        self._conn.execute(_DDL.format(table="case_index"))
        for statement in _INDEXES:
            self._conn.execute(statement.format(name="case_index", table="case_index"))
        self._upsert = _upsert_statement("case_index", "?")

    def upsert(self, rows: Sequence[CaseRow]) -> None:
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany(self._upsert, [tuple(asdict(r).values()) for r in rows])
            self._conn.execute("COMMIT")

    def search(self, query: CaseQuery) -> tuple[list[CaseRow], int]:
        where, params = query.where("?")
        with self._lock:
            total = self._conn.execute(f"SELECT COUNT(*) FROM case_index{where}", params).fetchone()
            found = self._conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM case_index{where}{ORDER} LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            ).fetchall()
        return [_row(values) for values in found], int(total[0])

    def close(self) -> None:
        self._conn.close()


class PostgresCaseIndex:
    """A table in the service's own schema."""

    def __init__(self, database_url: str, schema: str) -> None:
        self._table = f'"{schema}".case_index'
        self._pool = ConnectionPool(
            database_url, min_size=1, max_size=4, open=True, kwargs={"autocommit": True}
        )
        with self._connection() as conn:
            conn.execute(sql.SQL(_DDL.format(table=self._table)))
            for statement in _INDEXES:
                ddl = statement.format(name="case_index", table=self._table)
                conn.execute(sql.SQL(ddl))
        self._upsert = _upsert_statement(self._table, "%s")

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        with self._pool.connection() as conn:
            yield conn

    def upsert(self, rows: Sequence[CaseRow]) -> None:
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(self._upsert, [tuple(asdict(r).values()) for r in rows])

    def search(self, query: CaseQuery) -> tuple[list[CaseRow], int]:
        where, params = query.where("%s")
        with self._connection() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM {self._table}{where}", params).fetchone()
            found = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {self._table}{where}{ORDER} LIMIT %s OFFSET %s",
                [*params, query.limit, query.offset],
            ).fetchall()
        return [_row(values) for values in found], int(total[0]) if total else 0

    def close(self) -> None:
        self._pool.close()


def _row(values: Sequence[Any]) -> CaseRow:
    row = dict(zip(COLUMNS, values, strict=True))
    row["is_open"] = bool(row["is_open"])
    return CaseRow(**row)
