"""eventsourcing's PostgreSQL insert in one or two round trips, rolled back when it fails.

eventsourcing (9.5) wraps the insert in `conn.transaction()` inside a pipeline, and psycopg then
syncs around each nested pipeline: BEGIN alone, the rows, an empty sync, COMMIT, another empty
sync, seven round trips to the server for one commit (each a send, a wake-up of the backend and
a wait), with the events table locked for three of them. Here the transaction is written out in
the pipeline instead:

    BEGIN; the batch's tracking rows and staged rows; Sync            (only if there are any)
    LOCK TABLE; NOTIFY; INSERT … RETURNING notification_id; COMMIT; Sync

A duplicate tracking row or a conflicting staged row is its own statement's `IntegrityError` at
the first sync, before the table is locked; the table stays locked for one round trip, the
commit's. A failure anywhere leaves the transaction open or aborted, and it is rolled back with
an explicit ROLLBACK: eventsourcing would end it with COMMIT (which PostgreSQL answers ROLLBACK),
and psycopg forgets its prepared statements on a ROLLBACK, not on that COMMIT. A statement that
reached psycopg's prepare threshold in the failed pipeline after the one that failed was never
prepared by the server, yet psycopg would hold its name: each later insert on that connection
would then fail with "prepared statement … does not exist" (a ProgrammingError, so a 500, not a
503), as a full disk showed in the fault suite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.utils import retry
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow

BEGIN = b"BEGIN"
COMMIT = b"COMMIT"
ROLLBACK = b"ROLLBACK"


class RollingBackRecorder(PostgresProcessRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self.datastore.enable_db_functions:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        with self.datastore.get_connection() as conn:
            try:
                return self._insert_in_a_transaction(conn, stored_events, **kwargs)
            except BaseException:
                _roll_back(conn)
                raise  # inside get_connection: mapped to eventsourcing's errors

    def _insert_in_a_transaction(
        self, conn: Connection[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with conn.cursor() as curs, conn.cursor() as inserting:
            with conn.pipeline() as pipeline:
                curs.execute(BEGIN)
                self._insert_events(curs, stored_events, **kwargs)
                if self._writes_rows_before_events(kwargs):
                    pipeline.sync()  # a duplicate tracking row is its IntegrityError, here
                if stored_events:
                    self._insert_stored_events(inserting, stored_events, **kwargs)
                curs.execute(COMMIT)
            # leaving the pipeline synced it: the first error of the round trip was raised
            if not stored_events:
                return None
            ids: Sequence[int] | None = self._fetch_ids_after_insert_events(
                inserting, stored_events, **kwargs
            )
            return ids

    def _writes_rows_before_events(self, kwargs: dict[str, Any]) -> bool:
        """Whether `_insert_events` wrote rows of its own (tracking rows) before the events."""
        return kwargs.get("tracking") is not None


def _roll_back(conn: Connection[DictRow]) -> None:
    """End a transaction the failure left open or aborted, and have psycopg forget what it
    prepared in it; a broken connection is the pool's to discard."""
    with contextlib.suppress(psycopg.Error):
        if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            conn.execute(ROLLBACK)
