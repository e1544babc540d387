"""The board's other rows: each case's facts (for the volumes) and the anomaly register.

Both follow the application's notification log with the clock rows (see board.py). Case rows
are a projection of the CASES stream, so a replay rebuilds them and the digest covers them; the
anomaly register is sla-svc's own record (commands of the URP and the offices), not in any stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from .anomalies import Anomaly
from .casefiles import CaseProfile


@dataclass
class CaseRow:
    case_id: UUID
    tenant: str
    kind: str
    channel: str
    category: str
    received_at: datetime
    organization: str | None = None

    def digest_line(self) -> str:
        return "|".join(
            (
                str(self.case_id),
                self.kind,
                self.channel,
                self.category,
                self.organization or "-",
                self.received_at.isoformat(),
            )
        )


@dataclass
class ActionRow:
    description: str
    status: str
    due: date | None
    recorded_by: str
    recorded_at: datetime
    changed_by: str
    changed_at: datetime


@dataclass
class AnomalyRow:
    anomaly_id: UUID
    tenant: str
    organization: str | None
    kind: str
    title: str
    started_at: datetime
    ended_at: datetime | None
    standard: str | None
    clock_id: UUID | None
    recorded_by: str
    recorded_at: datetime
    cause: str | None = None
    cause_by: str | None = None
    cause_at: datetime | None = None
    actions: list[ActionRow] = field(default_factory=list)


CASE_EVENTS: frozenset[type[Any]] = frozenset((CaseProfile.Registered, CaseProfile.Assigned))  # type: ignore[attr-defined]
ANOMALY_EVENTS: frozenset[type[Any]] = frozenset(
    (
        Anomaly.Opened,
        Anomaly.CauseRecorded,  # type: ignore[attr-defined]
        Anomaly.ActionAdded,  # type: ignore[attr-defined]
        Anomaly.ActionStatusChanged,  # type: ignore[attr-defined]
        Anomaly.Ended,  # type: ignore[attr-defined]
    )
)


def apply_case(cases: dict[UUID, CaseRow], e: Any) -> None:
    """`cases` is keyed by the profile's id (the events' originator), derived from the case's."""
    if isinstance(e, CaseProfile.Registered):
        row = CaseRow(e.case_id, e.tenant, e.kind, e.channel, e.category, e.received_at)
        cases[e.originator_id] = row
    elif (found := cases.get(e.originator_id)) is not None:
        found.organization = e.organization


def apply_anomaly(anomalies: dict[UUID, AnomalyRow], e: Any) -> None:
    if isinstance(e, Anomaly.Opened):
        anomalies[e.originator_id] = AnomalyRow(
            e.originator_id,
            e.tenant,
            e.organization,
            e.kind,
            e.title,
            e.started_at,
            e.ended_at,
            e.standard,
            e.clock_id,
            e.recorded_by,
            e.recorded_at,
        )
        return
    row = anomalies[e.originator_id]
    name = type(e).__name__
    if name == "CauseRecorded":
        row.cause, row.cause_by, row.cause_at = e.cause, e.by, e.at
    elif name == "ActionAdded":
        due = date.fromisoformat(e.due) if e.due else None
        row.actions.append(ActionRow(e.description, e.status, due, e.by, e.at, e.by, e.at))
    elif name == "ActionStatusChanged":
        action = row.actions[e.number - 1]
        action.status, action.changed_by, action.changed_at = e.status, e.by, e.at
    elif name == "Ended":
        row.ended_at = e.ended_at
