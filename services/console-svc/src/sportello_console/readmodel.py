"""The queues' read model: one row per case and per clock, no personal data (no name, contact,
description or place: only references, categories, offices, statuses and deadlines).

Kept from the CASES and SLA streams by `feed.py` with a tracking row per message in the same
SQLite transaction (exactly once); rebuildable from the streams (`sportello-console rebuild`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY, reference TEXT NOT NULL, tenant TEXT NOT NULL,
    organization TEXT, status TEXT NOT NULL, status_before_wait TEXT,
    kind TEXT, channel TEXT, category TEXT,
    received_at TEXT NOT NULL, updated_at TEXT NOT NULL, contacted INTEGER NOT NULL DEFAULT 0,
    bounces INTEGER NOT NULL DEFAULT 0, reopen_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cases_scope ON cases (tenant, organization, status);
CREATE TABLE IF NOT EXISTS clocks (
    case_id TEXT NOT NULL, standard TEXT NOT NULL, deadline TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (case_id, standard)
);
CREATE TABLE IF NOT EXISTS bounces (
    case_id TEXT NOT NULL, organization TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (case_id, at)
);
CREATE TABLE IF NOT EXISTS tracking (
    application_name TEXT NOT NULL, notification_id INTEGER NOT NULL,
    PRIMARY KEY (application_name, notification_id)
);
"""

CLOSED = ("closed", "rejected")
# Raised when the tables change: a model written by an older build is re-read from the streams.
SCHEMA_VERSION = 3  # 3: bounces, who declared which case not competent
TABLES = ("cases", "clocks", "bounces", "tracking")


@dataclass(frozen=True)
class Change:
    """What a processed event changed, for the live queues (no personal data)."""

    tenant: str
    organization: str | None
    case_id: str


class ReadModel:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        self.outdated = self._upgrade()

    def _upgrade(self) -> bool:
        """Creates the tables; True when an older build's tables had to go (the feed then
        re-reads both streams from their start: `sportello-console rebuild` at start-up)."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        existing = self._db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'cases'")
        outdated = bool(existing.fetchone()[0]) and version < SCHEMA_VERSION
        if outdated:
            for table in TABLES:
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
        self._db.executescript(SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return outdated

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, params))

    def is_tracked(self, tracking: Tracking) -> bool:
        return bool(
            self.query(
                "SELECT 1 FROM tracking WHERE application_name = ? AND notification_id = ?",
                (tracking.application_name, tracking.notification_id),
            )
        )

    def apply(self, event_type: str, data: dict[str, Any], tracking: Tracking) -> Change | None:
        """One event's effect and its tracking row, in one transaction."""
        with self._transaction() as db:
            try:
                db.execute(
                    "INSERT INTO tracking (application_name, notification_id) VALUES (?, ?)",
                    (tracking.application_name, tracking.notification_id),
                )
            except sqlite3.IntegrityError as exc:
                raise IntegrityError(str(exc)) from exc
            aggregate, _, event = (
                event_type.removeprefix("it.sportello.").rpartition(".v")[0].partition(".")
            )
            if aggregate == "case":
                return _apply_case(db, event, data)
            if aggregate == "sla":
                return _apply_clock(db, event, data)
        return None


def _apply_case(db: sqlite3.Connection, event: str, data: dict[str, Any]) -> Change | None:
    case_id = data["case_id"]
    now = utc(data["occurred_at"])
    if event == "received":
        db.execute(
            "INSERT OR IGNORE INTO cases (case_id, reference, tenant, status, kind, channel,"
            " category, received_at, updated_at) VALUES (?, ?, ?, 'received', ?, ?, ?, ?, ?)",
            (
                case_id,
                data["reference"],
                data["_tenant"],
                data["kind"],
                data["channel"],
                data["category"],
                utc(data["received_at"]),
                now,
            ),
        )
    elif event == "assigned":  # triage-first: forwarded, or answered, stays so (intake's)
        db.execute(
            "UPDATE cases SET status = CASE WHEN status IN ('forwarded', 'office_answered')"
            " THEN status ELSE 'assigned' END WHERE case_id = ?",
            (case_id,),
        )
        _set(db, case_id, now, organization=data["organization"])
    elif event == "routing_failed":
        _set(db, case_id, now, status="routing_failed", organization=data["triage_organization"])
    elif event == "waiting_for_citizen":
        db.execute("UPDATE cases SET status_before_wait = status WHERE case_id = ?", (case_id,))
        _set(db, case_id, now, status="waiting_for_citizen")
    elif event == "resumed":
        db.execute(
            "UPDATE cases SET status = COALESCE(status_before_wait, 'taken_in_charge'),"
            " updated_at = ? WHERE case_id = ?",
            (now, case_id),
        )
    elif event == "citizen_contacted":
        db.execute("UPDATE cases SET contacted = 1 WHERE case_id = ?", (case_id,))
        _set(db, case_id, now, status="citizen_contacted")
    elif event == "reassignment_requested":  # the office declaring it is the case's office
        db.execute(
            "INSERT OR IGNORE INTO bounces (case_id, organization, at) SELECT case_id,"
            " organization, ? FROM cases WHERE case_id = ? AND organization IS NOT NULL",
            (now, case_id),
        )
        db.execute("UPDATE cases SET bounces = bounces + 1 WHERE case_id = ?", (case_id,))
        _set(db, case_id, now, status="reassignment_requested")
    elif event == "reopen_requested":
        db.execute("UPDATE cases SET reopen_requested = 1 WHERE case_id = ?", (case_id,))
        _set(db, case_id, now)
    elif event == "reopen_declined":
        db.execute("UPDATE cases SET reopen_requested = 0 WHERE case_id = ?", (case_id,))
        _set(db, case_id, now)
    elif event == "reopened":
        db.execute("UPDATE cases SET reopen_requested = 0 WHERE case_id = ?", (case_id,))
        _set(db, case_id, now, status=event)
    elif event == "classified":  # the triage said what it is about: routing decides again
        _set(db, case_id, now, category=data["category"], kind=data["kind"])
    elif event == "office_answered":  # back with the front office: routing's decision follows
        _set(db, case_id, now, status=event)
    elif event == "personal_data_erased":
        _set(db, case_id, now)
    elif event in ("taken_in_charge", "resolved", "closed", "rejected", "forwarded"):
        _set(db, case_id, now, status=event)
    else:
        return None
    row = db.execute(
        "SELECT tenant, organization FROM cases WHERE case_id = ?", (case_id,)
    ).fetchone()
    return Change(row["tenant"], row["organization"], case_id) if row else None


def _set(db: sqlite3.Connection, case_id: str, now: str, **values: str) -> None:
    assignments = "".join(f"{column} = ?, " for column in values)
    db.execute(
        f"UPDATE cases SET {assignments}updated_at = ? WHERE case_id = ?",
        (*values.values(), now, case_id),
    )


def _apply_clock(db: sqlite3.Connection, event: str, data: dict[str, Any]) -> Change | None:
    state = {"deadline_set": "running", "warning": "warning", "breached": "breached", "met": "met"}
    if event not in state:
        return None
    db.execute(
        "INSERT INTO clocks (case_id, standard, deadline, state) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (case_id, standard) DO UPDATE"
        " SET deadline = excluded.deadline, state = excluded.state",
        (data["case_id"], data["standard"], utc(data["deadline"]), state[event]),
    )
    return Change(data["_tenant"], data.get("_organization"), data["case_id"])


def utc(value: str) -> str:
    """ISO instants in UTC, so that the read model compares them as text."""
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat()
