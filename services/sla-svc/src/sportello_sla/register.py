"""The anomaly register's use cases: list it (breaches and recorded anomalies), and write in it.

A breached clock is listed as an anomaly whether or not anyone wrote about it; the first cause or
action recorded on it writes its `Anomaly` down (with the id derived from the clock's run).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from .anomalies import (
    ActionStatus,
    Anomaly,
    AnomalyKind,
    InvalidAnomaly,
    UnknownAnomaly,
    breach_anomaly_id,
)
from .calendars import ROME
from .clock_rows import ClockRow
from .domain import ClockStatus, clock_id_for
from .readmodels import ActionRow, AnomalyRow


@dataclass(frozen=True)
class RegisterEntry:
    anomaly_id: UUID
    tenant: str
    organization: str | None
    kind: str
    title: str
    standard: str | None
    started_at: datetime
    ended_at: datetime | None
    case_id: UUID | None = None
    recorded: bool = False
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    cause: str | None = None
    cause_by: str | None = None
    cause_at: datetime | None = None
    actions: list[ActionRow] = field(default_factory=list)


def register_entries(
    clocks: Iterable[ClockRow],
    recorded: Iterable[AnomalyRow],
    tenant: str,
    period: tuple[date, date],
    now: datetime,
) -> list[RegisterEntry]:
    """Every anomaly of the tenant that started in the period: each breached clock run, with
    what was recorded on it, and every anomaly recorded on its own; the earliest first."""
    first, last = period
    written = {row.anomaly_id: row for row in recorded if row.tenant == tenant}
    entries: dict[UUID, RegisterEntry] = {}
    for clock in clocks:
        if clock.tenant != tenant or clock.status_at(now) is not ClockStatus.BREACHED:
            continue
        if not first <= clock.started_at.astimezone(ROME).date() <= last:
            continue
        anomaly_id = breach_anomaly_id(clock.clock_id, clock.started_at)
        entries[anomaly_id] = _entry(
            written.get(anomaly_id),
            RegisterEntry(
                anomaly_id=anomaly_id,
                tenant=tenant,
                organization=clock.organization,
                kind=AnomalyKind.BREACH.value,
                title=clock.standard,
                standard=clock.standard,
                started_at=clock.started_at,
                ended_at=clock.deadline,
                case_id=clock.case_id,
            ),
        )
    for anomaly_id, row in written.items():
        in_period = first <= row.started_at.astimezone(ROME).date() <= last
        if anomaly_id not in entries and in_period and row.kind != AnomalyKind.BREACH.value:
            entries[anomaly_id] = _entry(row, None)
    return sorted(entries.values(), key=lambda e: (e.started_at, str(e.anomaly_id)))


def _entry(row: AnomalyRow | None, breach: RegisterEntry | None) -> RegisterEntry:
    if row is None:
        assert breach is not None
        return breach
    return RegisterEntry(
        anomaly_id=row.anomaly_id,
        tenant=row.tenant,
        # a breach belongs to the office that has the case now, as its clock says
        organization=breach.organization if breach else row.organization,
        kind=row.kind,
        title=row.title,
        standard=row.standard,
        started_at=row.started_at,
        ended_at=breach.ended_at if breach else row.ended_at,
        case_id=breach.case_id if breach else None,
        recorded=True,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        cause=row.cause,
        cause_by=row.cause_by,
        cause_at=row.cause_at,
        actions=list(row.actions),
    )


def find_entry(
    anomaly_id: UUID, clocks: Iterable[ClockRow], recorded: Iterable[AnomalyRow], now: datetime
) -> RegisterEntry:
    """One anomaly, recorded or a breach not written about yet; UnknownAnomaly otherwise."""
    for row in recorded:
        if row.anomaly_id == anomaly_id and row.kind != AnomalyKind.BREACH.value:
            return _entry(row, None)
    written = {row.anomaly_id: row for row in recorded}
    for clock in clocks:
        if breach_anomaly_id(clock.clock_id, clock.started_at) != anomaly_id:
            continue
        if clock.status_at(now) is not ClockStatus.BREACHED:
            break
        day = clock.started_at.astimezone(ROME).date()
        [entry] = register_entries([clock], written.values(), clock.tenant, (day, day), now)
        return entry
    if anomaly_id in written:  # a breach of an earlier run of a clock since restarted
        return _entry(written[anomaly_id], None)
    raise UnknownAnomaly(anomaly_id)


class _Store(Protocol):
    """What the commands need of the application (SlaApplication has both)."""

    def save(self, *aggregates: Anomaly) -> object: ...

    def find(self, aggregate_id: UUID) -> object | None: ...


class AnomalyCommands:
    """The register's commands, on the application's repository and store (a writer calls them)."""

    def __init__(self, app: _Store) -> None:
        self._app = app

    def record(
        self,
        *,
        tenant: str,
        organization: str | None,
        kind: AnomalyKind,
        title: str,
        started_at: datetime,
        ended_at: datetime | None,
        by: str,
        at: datetime,
    ) -> UUID:
        anomaly = Anomaly.record(
            tenant=tenant,
            organization=organization,
            kind=kind,
            title=title,
            started_at=started_at,
            ended_at=ended_at,
            by=by,
            at=at,
        )
        self._app.save(anomaly)
        return anomaly.id

    def record_cause(self, entry: RegisterEntry, cause: str, by: str, at: datetime) -> None:
        anomaly = self._written(entry, by, at)
        anomaly.record_cause(cause, by, at)
        self._app.save(anomaly)

    def add_action(
        self,
        entry: RegisterEntry,
        description: str,
        status: ActionStatus,
        due: date | None,
        by: str,
        at: datetime,
    ) -> int:
        anomaly = self._written(entry, by, at)
        number = anomaly.add_action(description, status, due, by, at)
        self._app.save(anomaly)
        return number

    def set_action_status(
        self, entry: RegisterEntry, number: int, status: ActionStatus, by: str, at: datetime
    ) -> None:
        anomaly = self._written(entry, by, at)
        anomaly.set_action_status(number, status, by, at)
        self._app.save(anomaly)

    def end(self, entry: RegisterEntry, ended_at: datetime, by: str, at: datetime) -> None:
        anomaly = self._written(entry, by, at)
        if anomaly.kind is AnomalyKind.BREACH:
            raise InvalidAnomaly(
                "a breach ends at its deadline: only other anomalies are ended",
                it="una scadenza superata finisce alla scadenza:"
                " si chiudono solo le altre anomalie",
            )
        anomaly.close(ended_at, by, at)
        self._app.save(anomaly)

    def _written(self, entry: RegisterEntry, by: str, at: datetime) -> Anomaly:
        found = self._app.find(entry.anomaly_id)
        if isinstance(found, Anomaly):
            return found
        if entry.kind != AnomalyKind.BREACH.value or entry.standard is None:
            raise UnknownAnomaly(entry.anomaly_id)
        assert entry.ended_at is not None
        assert entry.case_id is not None
        return Anomaly.of_breach(
            tenant=entry.tenant,
            organization=entry.organization,
            standard=entry.standard,
            clock_id=clock_id_for(entry.case_id, entry.standard),
            run_started_at=entry.started_at,
            deadline=entry.ended_at,
            by=by,
            at=at,
        )
