"""One commit of events is one round trip to PostgreSQL, two with tracking rows
(recorder_insert.py), read off libpq's own trace of the protocol; and what fails in either round
trip fails the whole transaction with the statement's own error."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from uuid import UUID, uuid5

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from psycopg import pq
from sportello_shared.recorders import TRACKINGS, BatchPostgresProcessRecorder

from .test_recorder_rollback import one_connection_app

AGGREGATE = uuid5(UUID(int=7), "round trips")


def traced(recorder: BatchPostgresProcessRecorder, insert: Callable[[], object]) -> list[str]:
    """The protocol messages of `insert` on the pool's only connection, as libpq traced them."""
    with tempfile.NamedTemporaryFile() as trace:
        with recorder.datastore.get_connection() as conn:
            pgconn = conn.pgconn  # back to the pool, for the insert to take
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            insert()
        finally:
            pgconn.untrace()
        return Path(trace.name).read_text().splitlines()


def syncs(lines: list[str]) -> int:
    return sum(1 for line in lines if line.startswith("F\t") and "\tSync" in line)


def event(version: int) -> StoredEvent:
    return StoredEvent(AGGREGATE, version, "t:A", b"x")


def test_events_alone_commit_in_one_round_trip(database_url: str, pg_schema: str) -> None:
    app = one_connection_app(database_url, pg_schema)
    recorder = app.recorder
    assert isinstance(recorder, BatchPostgresProcessRecorder)
    recorder.insert_events([event(1)])  # the pool's connection is open before the trace

    lines = traced(recorder, lambda: recorder.insert_events([event(2), event(3)]))

    assert syncs(lines) == 1, lines
    assert [e.originator_version for e in recorder.select_events(AGGREGATE)] == [1, 2, 3]
    app.close()


def test_tracking_rows_are_synced_before_the_events_and_commit_with_them(
    database_url: str, pg_schema: str
) -> None:
    app = one_connection_app(database_url, pg_schema)
    recorder = app.recorder
    assert isinstance(recorder, BatchPostgresProcessRecorder)
    recorder.insert_events([event(1)])

    trackings = [Tracking("upstream", 1), Tracking("upstream", 2)]
    lines = traced(recorder, lambda: recorder.insert_events([event(2)], **{TRACKINGS: trackings}))

    assert syncs(lines) == 2, lines
    assert recorder.max_tracking_id("upstream") == 2
    app.close()


@pytest.mark.parametrize("conflict", ["tracking", "event"])
def test_a_conflict_in_either_round_trip_is_an_integrity_error_and_nothing_commits(
    database_url: str, pg_schema: str, conflict: str
) -> None:
    app = one_connection_app(database_url, pg_schema)
    recorder = app.recorder
    assert isinstance(recorder, BatchPostgresProcessRecorder)
    recorder.insert_events([event(1)], **{TRACKINGS: [Tracking("upstream", 1)]})

    for _ in range(20):  # each on the same connection, after the last one's rollback
        with pytest.raises(IntegrityError):
            if conflict == "tracking":
                recorder.insert_events([event(2)], **{TRACKINGS: [Tracking("upstream", 1)]})
            else:
                recorder.insert_events([event(1)], **{TRACKINGS: [Tracking("upstream", 2)]})

    assert recorder.max_tracking_id("upstream") == 1
    assert [e.originator_version for e in recorder.select_events(AGGREGATE)] == [1]
    ids = recorder.insert_events([event(2)], **{TRACKINGS: [Tracking("upstream", 2)]})
    assert ids is not None and len(ids) == 1  # the connection still works
    app.close()
