"""eventsourcing's PostgreSQL insert, rolled back when it fails.

eventsourcing (9.5) catches an error raised in the insert's pipeline inside the transaction, so
as not to leave the pipeline with an exception, and lets the transaction end with COMMIT, which
PostgreSQL answers ROLLBACK. psycopg forgets its prepared statements on a rollback, not on that
COMMIT. A statement that reached psycopg's prepare threshold in the failed pipeline, after the
statement that failed, was never prepared by the server, yet psycopg holds its name: each later
insert on that connection then fails with "prepared statement … does not exist" (a
ProgrammingError, so a 500, not a 503), as a full disk showed in the fault suite. Here the
transaction is rolled back explicitly (`psycopg.Rollback`), and psycopg forgets them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.utils import retry


class RollingBackRecorder(PostgresProcessRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self.datastore.enable_db_functions:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        failure: Exception | None = None
        notification_ids: Sequence[int] | None = None
        with self.datastore.get_connection() as conn:
            with conn.pipeline() as pipeline, conn.transaction():
                with conn.cursor() as curs:
                    self._insert_events(curs, stored_events, **kwargs)
                if stored_events:
                    with conn.cursor() as curs:
                        try:
                            self._insert_stored_events(curs, stored_events, **kwargs)
                            pipeline.sync()  # a constraint's violation is raised here
                            notification_ids = self._fetch_ids_after_insert_events(
                                curs, stored_events, **kwargs
                            )
                        except Exception as exc:
                            failure = exc
                            with contextlib.suppress(psycopg.Error):
                                pipeline.sync()  # out of an aborted pipeline, if it still is
                            raise psycopg.Rollback from exc  # ends the transaction, quietly
            if failure is not None:
                raise failure  # inside get_connection: mapped to eventsourcing's errors
        return notification_ids
