"""An insert that fails in its pipeline is rolled back, and the next insert on the same
connection works (recorder_insert.py): psycopg must not keep the name of a statement whose
preparation the failure skipped."""

from __future__ import annotations

import threading
import time
from uuid import UUID, uuid5

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql
from sportello_shared.persistence import ensure_schema
from sportello_shared.recorders import BatchPostgresProcessRecorder
from sportello_shared.settings import ServiceSettings

from .conftest import BusTestApplication

PREPARED_AFTER = 5  # psycopg prepares a statement once it ran five times on a connection


def one_connection_app(database_url: str, schema: str) -> BusTestApplication:
    settings = ServiceSettings(
        service_name="bustest",
        DATABASE_URL=database_url,  # type: ignore[call-arg]
        DATABASE_SCHEMA=schema,  # type: ignore[call-arg]
        SPORTELLO_DATA_DIR="/nonexistent",  # type: ignore[call-arg]
    )
    ensure_schema(settings)
    env = settings.eventsourcing_env() | {
        "POSTGRES_POOL_SIZE": "1",  # every insert on the same connection
        "POSTGRES_MAX_OVERFLOW": "0",
        "POSTGRES_LOCK_TIMEOUT": "1",
    }
    return BusTestApplication(env=env)


def hold_the_events_table(
    database_url: str, table: sql.Composed, seconds: float
) -> threading.Event:
    """Another session locks the events table for `seconds`; returns once it holds the lock."""
    held = threading.Event()

    def hold() -> None:
        with psycopg.connect(database_url) as conn, conn.transaction():
            conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
            held.set()
            time.sleep(seconds)

    threading.Thread(target=hold, daemon=True).start()
    assert held.wait(10)
    return held


def test_an_insert_that_timed_out_on_the_lock_leaves_its_connection_usable(
    database_url: str, pg_schema: str
) -> None:
    app = one_connection_app(database_url, pg_schema)
    recorder = app.recorder
    assert isinstance(recorder, BatchPostgresProcessRecorder)
    aggregate = uuid5(UUID(int=7), "ticket")
    for version in range(1, PREPARED_AFTER + 1):
        recorder.insert_events([StoredEvent(aggregate, version, "t:A", b"x")])

    # The next insert: LOCK TABLE times out (1 s) in the pipeline, so NOTIFY and the rows'
    # statement, due to be prepared now, are not; eventsourcing retries the insert until the
    # lock is free, and the retry must not execute them by a name the server never had.
    table = sql.Identifier(pg_schema, recorder.events_table_name)
    hold_the_events_table(database_url, sql.Composed([table]), seconds=1.5)
    ids = recorder.insert_events([StoredEvent(aggregate, PREPARED_AFTER + 1, "t:A", b"x")])
    assert ids is not None and len(ids) == 1

    more = recorder.insert_events([StoredEvent(aggregate, PREPARED_AFTER + 2, "t:A", b"x")])
    assert more is not None and more[0] == ids[0] + 1
    versions = [e.originator_version for e in recorder.select_events(aggregate)]
    assert versions == list(range(1, PREPARED_AFTER + 3))
    app.close()
