"""The PostgreSQL process recorders' commit: one statement, one round trip.

eventsourcing (9.5) wraps each insert in `conn.transaction()` inside a pipeline: BEGIN alone,
the tracking row, an empty sync, `SET LOCAL lock_timeout`, LOCK TABLE, NOTIFY, the rows, an empty
sync, COMMIT, another empty sync: seven round trips and eight statements, each one psycopg's
Python work on the client (about 0.1 ms) and a message for the server, with the events table
locked for three round trips. Here a function in the service's schema does all of it
(`sportello_insert_events`, created with the tables), called in autocommit: what runs in one
statement is one transaction, and PL/pgSQL may lock a table in it. In order:

    the batch's tracking rows                 a duplicate: IntegrityError, nothing committed
    lock_timeout, LOCK TABLE … EXCLUSIVE      the insert order is the commit order (followers)
    pg_notify(channel, token)                 other replicas' StoreChanges hear the commit
    INSERT … RETURNING notification_id        ids in the order of the events

A commit that carries staged rows (the vault's new keys and links, staged_rows.py) writes them
first in psycopg's transaction, synced on their own so that a conflicting key is its own
IntegrityError, then calls the function and commits (psycopg's nested syncs: a few round trips,
one commit in each registration batch). A failure there is rolled back by psycopg, which then
forgets what it meant to prepare in the failed pipeline: a statement due to be prepared after the
one that failed was never prepared by the server, and each later commit on that connection would
fail with "prepared statement … does not exist" (a ProgrammingError, a 500), as a full disk
showed in the fault suite, twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.utils import retry
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

from .staged_rows import STAGED_ROWS, write_staged

TRACKINGS = "trackings"  # the insert_events keyword that carries a batch's tracking rows
FUNCTION = "sportello_insert_events"


class FunctionInsertRecorder(PostgresProcessRecorder):
    channel_name: str
    notify_token: str

    def _prepare_insert_function(self) -> None:
        """The function's definition, created with the tables, and the statement that calls it
        (bytes, rendered once)."""
        if self.datastore.enable_db_functions or self.datastore.single_row_tracking:
            # eventsourcing's ways would drop a batch's tracking rows; settings.py keeps both off
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS and SINGLE_ROW_TRACKING must be off")
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(
            SQL(_DEFINITION).format(
                schema=schema,
                function=Identifier(FUNCTION),
                id_type=Identifier(self.datastore.originator_id_type),
                tracking=Identifier(self.tracking_table_name),
                events=Identifier(self.events_table_name),
                lock_timeout=Literal(f"{self.datastore.lock_timeout}s"),
                channel=Literal(self.channel_name),
            )
        )
        self._call_insert_function = (
            SQL(
                "SELECT id FROM {0}.{1}(%s::text[], %s::bigint[], %b::{2}[], %b::bigint[], "
                "%b::text[], %b::bytea[], %s) AS id"
            )
            .format(schema, Identifier(FUNCTION), Identifier(self.datastore.originator_id_type))
            .as_bytes(None)
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # psycopg's errors inside get_connection are mapped to eventsourcing's
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            self._check_has_multi_row_tracking_table(curs)
            self._commit(conn, curs, stored_events, kwargs)
            rows = curs.fetchall() if stored_events else []
        return [row["id"] for row in rows] if stored_events else None

    def _commit(
        self,
        conn: Connection[DictRow],
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        kwargs: dict[str, Any],
    ) -> None:
        params = self._insert_function_params(stored_events, kwargs)
        if STAGED_ROWS not in kwargs:
            curs.execute(self._call_insert_function, params, prepare=True)
            return
        # psycopg's own transaction here: on a failure its ROLLBACK also drops the names of the
        # statements it meant to prepare in the failed pipeline (a BEGIN and a COMMIT written
        # out left them behind under a full disk: "prepared statement … does not exist")
        with conn.cursor() as statements, conn.pipeline() as pipeline, conn.transaction():
            write_staged(statements, kwargs)
            pipeline.sync()  # a conflicting key is this statement's IntegrityError
            curs.execute(self._call_insert_function, params, prepare=True)

    def _insert_function_params(
        self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> tuple[Any, ...]:
        trackings: list[Tracking] = list(kwargs.get(TRACKINGS) or ())
        if (single := kwargs.get("tracking")) is not None:
            trackings.append(single)
        return (
            [t.application_name for t in trackings],
            [t.notification_id for t in trackings],
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            self.notify_token,
        )


_DEFINITION = """
CREATE OR REPLACE FUNCTION {schema}.{function}(
    tracking_names text[], tracking_ids bigint[],
    originator_ids {id_type}[], versions bigint[], topics text[], states bytea[],
    token text
) RETURNS SETOF bigint LANGUAGE plpgsql AS $body$
BEGIN
    INSERT INTO {schema}.{tracking} (application_name, notification_id)
        SELECT * FROM unnest(tracking_names, tracking_ids);
    IF cardinality(originator_ids) > 0 THEN
        PERFORM set_config('lock_timeout', {lock_timeout}, true);
        LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE;
        PERFORM pg_notify({channel}, token);
        RETURN QUERY
            INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)
            SELECT * FROM unnest(originator_ids, versions, topics, states)
            RETURNING notification_id;
    END IF;
END
$body$
"""
