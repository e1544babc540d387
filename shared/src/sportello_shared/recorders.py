"""Process recorders that commit many tracking rows with one transaction's events.

eventsourcing's process recorders insert the one `tracking` argument of `insert_events` with
the events; the consumer runner commits a whole batch at once, so these also insert every row of
`trackings=[...]`, in the same transaction, before the events (on PostgreSQL in one statement,
a function of the schema: recorder_insert.py). Selected through eventsourcing's
`PROCESS_RECORDER_TOPIC`, not patched in.

They also note which aggregates the writer thread reads while a batch's policies run
(`observe_reads`): a policy that reads what an earlier message of the same batch wrote must not
see the stale, committed state, and the batch defers it instead (see `application.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteProcessRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier

from .observed_reads import note_read, observe_reads, read_key
from .recorder_insert import TRACKINGS, FunctionInsertRecorder
from .staged_rows import write_staged

__all__ = [
    "TRACKINGS",
    "BatchPostgresProcessRecorder",
    "BatchSQLiteProcessRecorder",
    "note_read",
    "observe_reads",
    "read_key",
    "recorder_topic_for",
]


class BatchPostgresProcessRecorder(FunctionInsertRecorder):
    """PostgreSQL: `insert_events(events, trackings=[...])`, every row in one transaction."""

    writes_staged_rows = True  # staged_rows.py

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ):
        super().__init__(
            datastore, events_table_name=events_table_name, tracking_table_name=tracking_table_name
        )
        # NOTIFY's channel (sent by every insert of events, heard by store_changes.py) per schema:
        # eventsourcing names it after the table alone, which every service's schema shares.
        self.channel_name = "_".join(filter(None, (datastore.schema, events_table_name)))[:63]
        # ...with this recorder's token as its payload: this process's followers were already
        # woken by the commit itself (ServiceApplication.on_saved) and ignore their own NOTIFY
        self.notify_token = uuid4().hex[:16]
        self._render_statements()

    def _render_statements(self) -> None:
        """The statements run per batch, made bytes once: psycopg otherwise renders a `Composed`
        (quoting each identifier) on every execution, 2 % of a consumer's time."""
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        self.max_notification_id_statement = _rendered(self.max_notification_id_statement)
        self._select_events_of = _rendered(
            SQL(
                "SELECT * FROM {0}.{1} WHERE originator_id = ANY(%s) "
                "ORDER BY originator_id, originator_version"
            ).format(schema, table)
        )
        self._select_events: dict[tuple[bool, bool, bool, bool], Any] = {}
        self._prepare_insert_function()  # recorder_insert.py: the commit's one statement

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """eventsourcing's query, its four shapes each rendered once."""
        note_read(originator_id)
        shape = (gt is not None, lte is not None, desc, limit is not None)
        if shape not in self._select_events:
            self._select_events[shape] = _rendered(_select_events_shape(self, *shape))
        params = [originator_id, *(p for p in (gt, lte, limit) if p is not None)]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_events[shape], params, prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each aggregate, in one query (see prefetch.py)."""
        found: dict[UUID, list[StoredEvent]] = {i: [] for i in originator_ids}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_events_of, [list(originator_ids)])
            for row in curs.fetchall():
                found[row["originator_id"]].append(
                    StoredEvent(
                        originator_id=row["originator_id"],
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                    )
                )
        return found


def _rendered(statement: Any) -> Any:
    """A `Composed` statement as the bytes psycopg makes of it (a connection's encoding, UTF-8,
    changes nothing in ASCII identifiers); anything else as it is."""
    return statement.as_bytes(None) if isinstance(statement, Composed) else statement


def _select_events_shape(
    recorder: PostgresProcessRecorder, gt: bool, lte: bool, desc: bool, limit: bool
) -> Composed:
    statement = recorder.select_events_statement
    statement += SQL(" AND originator_version > %s") if gt else SQL("")
    statement += SQL(" AND originator_version <= %s") if lte else SQL("")
    statement += SQL(" ORDER BY originator_version") + SQL(" DESC" if desc else " ASC")
    return statement + (SQL(" LIMIT %s") if limit else SQL(""))


class BatchSQLiteProcessRecorder(SQLiteProcessRecorder):
    """SQLite: `insert_events(events, trackings=[...])`, every row in one transaction."""

    writes_staged_rows = True  # staged_rows.py

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        trackings: Sequence[Tracking] = kwargs.get(TRACKINGS) or ()
        for tracking in trackings:
            self._insert_tracking(c, tracking)
        write_staged(c, kwargs)
        return super()._insert_events(c, stored_events, **kwargs)

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        note_read(originator_id)
        return super().select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each aggregate, in one query per 500 (see prefetch.py)."""
        found: dict[UUID, list[StoredEvent]] = {i: [] for i in originator_ids}
        by_hex = {i.hex: i for i in originator_ids}
        hexes = list(by_hex)
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(hexes), 500):
                chunk = hexes[start : start + 500]
                c.execute(
                    f"SELECT * FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))}) "
                    "ORDER BY originator_id, originator_version",
                    chunk,
                )
                for row in c.fetchall():
                    originator = by_hex[UUID(str(row["originator_id"])).hex]
                    found[originator].append(
                        StoredEvent(
                            originator_id=originator,
                            originator_version=row["originator_version"],
                            topic=row["topic"],
                            state=row["state"],
                        )
                    )
        return found


_TOPICS = {
    "eventsourcing.postgres": f"{__name__}:{BatchPostgresProcessRecorder.__name__}",
    "eventsourcing.sqlite": f"{__name__}:{BatchSQLiteProcessRecorder.__name__}",
}


def recorder_topic_for(persistence_module: str | None) -> str | None:
    """The PROCESS_RECORDER_TOPIC for a PERSISTENCE_MODULE (a module or a `module:Factory`)."""
    if not persistence_module:
        return None
    return _TOPICS.get(persistence_module.split(":", 1)[0])
