"""A commit of events and tracking rows is one statement and one round trip to PostgreSQL
(recorder_insert.py), read off libpq's own trace of the protocol; whatever conflicts, staged rows
included, fails the whole transaction with an IntegrityError, and the connection goes on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid5

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from psycopg import sql
from sportello_devstack.pgtrace import round_trips
from sportello_shared.recorders import TRACKINGS, BatchPostgresProcessRecorder
from sportello_shared.staged_rows import STAGED_ROWS

from .test_recorder_rollback import one_connection_app

AGGREGATE = uuid5(UUID(int=7), "round trips")


@pytest.fixture
def recorder(database_url: str, pg_schema: str) -> Iterator[BatchPostgresProcessRecorder]:
    """The recorder of an application whose pool holds one connection."""
    app = one_connection_app(database_url, pg_schema)
    assert isinstance(app.recorder, BatchPostgresProcessRecorder)
    yield app.recorder
    app.close()


def round_trips_of(recorder: BatchPostgresProcessRecorder, insert: Callable[[], object]) -> int:
    with recorder.datastore.get_connection() as conn:  # the pool's only connection, given back
        pgconn = conn.pgconn
    return round_trips(pgconn, insert)


def event(version: int) -> StoredEvent:
    return StoredEvent(AGGREGATE, version, "t:A", b"x")


def test_events_alone_commit_in_one_round_trip(recorder: BatchPostgresProcessRecorder) -> None:
    recorder.insert_events([event(1)])  # the pool's connection is open before the trace

    assert round_trips_of(recorder, lambda: recorder.insert_events([event(2), event(3)])) == 1
    assert [e.originator_version for e in recorder.select_events(AGGREGATE)] == [1, 2, 3]


def test_tracking_rows_commit_with_the_events_in_the_same_round_trip(
    recorder: BatchPostgresProcessRecorder,
) -> None:
    # a statement's first run on a connection prepares it: one round trip more, once
    recorder.insert_events([event(1)], **{TRACKINGS: [Tracking("warm-up", 1)]})

    trackings = [Tracking("upstream", 1), Tracking("upstream", 2)]
    insert = lambda: recorder.insert_events([event(2)], **{TRACKINGS: trackings})  # noqa: E731
    assert round_trips_of(recorder, insert) == 1
    assert recorder.max_tracking_id("upstream") == 2
    assert recorder.insert_events([], **{TRACKINGS: [Tracking("upstream", 3)]}) is None
    assert recorder.max_tracking_id("upstream") == 3  # tracking rows alone, no events


def staged(
    recorder: BatchPostgresProcessRecorder, application_name: str, notification_id: int
) -> Callable[[Any], None]:
    """Rows written with the events' cursor before them, as the vault stages its keys: here a
    tracking row of another name, so that a conflict is easy to make."""
    table = sql.Identifier(recorder.datastore.schema, recorder.tracking_table_name)

    def write(cursor: Any) -> None:
        statement = sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(table)
        cursor.execute(statement, (application_name, notification_id))

    return write


def test_staged_rows_commit_with_the_events_and_a_failure_leaves_the_connection_usable(
    recorder: BatchPostgresProcessRecorder,
) -> None:
    """Staged rows go in psycopg's transaction: after enough commits psycopg prepares its
    statements, and a commit that fails after them (here a duplicate tracking row in the
    function) must leave no name psycopg holds and the server lacks (a full disk did)."""
    for n in range(1, 9):  # past psycopg's threshold (5): its statements are prepared
        staged_kwargs = {
            TRACKINGS: [Tracking("upstream", n)],
            STAGED_ROWS: staged(recorder, "vault", n),
        }
        recorder.insert_events([event(n)], **staged_kwargs)
    assert recorder.max_tracking_id("vault") == 8

    for n in range(9, 17):
        with pytest.raises(IntegrityError):  # the function fails, after the staged rows' sync
            failing = {
                TRACKINGS: [Tracking("upstream", 1)],
                STAGED_ROWS: staged(recorder, "vault", n),
            }
            recorder.insert_events([event(9)], **failing)
    with pytest.raises(IntegrityError):  # the staged row conflicts: nothing of it commits
        conflicting = {
            TRACKINGS: [Tracking("upstream", 9)],
            STAGED_ROWS: staged(recorder, "vault", 1),
        }
        recorder.insert_events([event(9)], **conflicting)
    assert recorder.max_tracking_id("vault") == 8 and recorder.max_tracking_id("upstream") == 8

    for n in range(9, 12):  # the same connection goes on
        staged_kwargs = {
            TRACKINGS: [Tracking("upstream", n)],
            STAGED_ROWS: staged(recorder, "vault", n),
        }
        assert recorder.insert_events([event(n)], **staged_kwargs) is not None
    assert [e.originator_version for e in recorder.select_events(AGGREGATE)] == list(range(1, 12))


@pytest.mark.parametrize("conflict", ["tracking", "event"])
def test_a_conflict_is_an_integrity_error_and_nothing_commits(
    recorder: BatchPostgresProcessRecorder, conflict: str
) -> None:
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
