"""eventsourcing persistence helpers that every service needs: schemas and exact tracking."""

from __future__ import annotations

import fcntl
import functools
import os
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import ProcessRecorder, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg import sql

from .settings import ServiceSettings


def ensure_schema(settings: ServiceSettings) -> None:
    """eventsourcing expects the PostgreSQL schema to exist before it creates its tables."""
    if not settings.database_url:
        return
    with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(settings.store_schema))
        )


@contextmanager
def store_initialisation_lock(settings: ServiceSettings) -> Iterator[None]:
    """Replicas starting together take turns creating the schema and the store's tables.

    eventsourcing creates tables and functions with IF NOT EXISTS / OR REPLACE, which PostgreSQL
    does not make safe against concurrent sessions (unique violations on pg_type, "tuple
    concurrently updated"). A session advisory lock per schema serialises just that moment.
    On SQLite two processes opening one file at once fail the same way ("database is locked"
    when a deferred transaction upgrades to a write): an flock beside the file does the same job.
    """
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock = settings.data_dir / f"{settings.service_name}.init.lock"
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock
        return
    key = zlib.crc32(f"{settings.store_schema}:init".encode())
    with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


@contextmanager
def _read(recorder: PostgresTrackingRecorder) -> Iterator[Any]:
    """One read on the pool's autocommit connection: no BEGIN and no ROLLBACK around it (a
    ROLLBACK also makes psycopg drop the connection's prepared statements: DEALLOCATE ALL)."""
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        yield curs


def is_tracked(recorder: ProcessRecorder, tracking: Tracking) -> bool:
    """Whether exactly this upstream notification was processed.

    We keep one tracking row per processed notification (SINGLE_ROW_TRACKING=n) rather than a
    high-water mark: after a crash JetStream may redeliver older messages after newer ones, and a
    high-water mark would silently drop them as duplicates.
    """
    params: tuple[Any, ...] = (tracking.application_name, tracking.notification_id)
    if isinstance(recorder, PostgresTrackingRecorder):
        query = sql.SQL(
            "SELECT 1 FROM {}.{} WHERE application_name = %s AND notification_id = %s"
        ).format(
            sql.Identifier(recorder.datastore.schema),
            sql.Identifier(recorder.tracking_table_name),
        )
        with _read(recorder) as curs:
            curs.execute(query, params)
            return curs.fetchone() is not None
    if isinstance(recorder, SQLiteTrackingRecorder):
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT 1 FROM tracking WHERE application_name = ? AND notification_id = ?", params
            )
            return curs.fetchone() is not None
    raise TypeError(f"unsupported recorder {type(recorder).__name__}")


@functools.cache
def _tracked_query(schema: str, table: str) -> bytes:
    return (
        sql.SQL(
            "SELECT application_name, notification_id FROM {}.{} "
            "WHERE (application_name, notification_id) IN "
            "(SELECT * FROM unnest(%s::text[], %s::bigint[]))"
        )
        .format(sql.Identifier(schema), sql.Identifier(table))
        .as_bytes(None)
    )


def tracked(recorder: ProcessRecorder, trackings: Sequence[Tracking]) -> set[Tracking]:
    """Which of these upstream notifications were processed: one query for a fetched batch."""
    if not trackings:
        return set()
    names = [t.application_name for t in trackings]
    ids = [t.notification_id for t in trackings]
    if isinstance(recorder, PostgresTrackingRecorder):
        query = _tracked_query(recorder.datastore.schema, recorder.tracking_table_name)
        with _read(recorder) as curs:
            curs.execute(query, (names, ids))
            rows = curs.fetchall()
        return {Tracking(row["application_name"], row["notification_id"]) for row in rows}
    if isinstance(recorder, SQLiteTrackingRecorder):
        # A batch is at most a few hundred rows: well within SQLite's 32,766 parameters.
        values = ", ".join("(?, ?)" for _ in trackings)
        params = [value for t in trackings for value in (t.application_name, t.notification_id)]
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT application_name, notification_id FROM tracking "
                f"WHERE (application_name, notification_id) IN (VALUES {values})",
                params,
            )
            rows = curs.fetchall()
        return {Tracking(row[0], row[1]) for row in rows}
    raise TypeError(f"unsupported recorder {type(recorder).__name__}")


def database_is_reachable(recorder: ProcessRecorder, *, raises: bool = False) -> bool:
    try:
        recorder.max_notification_id()
    except Exception:
        if raises:
            raise
        return False
    return True
