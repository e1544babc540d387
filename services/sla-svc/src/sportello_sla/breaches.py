"""The breaches query: which clocks are breached, for whom, how overdue, the most overdue first.

Read from the clock board (board.py); the HTTP handler (`GET /breaches`) only translates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from .clock_rows import ClockRow
from .domain import ClockStatus

Which = Literal["open", "all"]  # open: the case has not been answered yet


@dataclass(frozen=True)
class Breach:
    case_id: UUID
    tenant: str
    organization: str | None
    standard: str
    started_at: datetime
    deadline: datetime
    stopped_at: datetime | None
    overdue_hours: float


def breaches(
    rows: Iterable[ClockRow],
    now: datetime,
    *,
    tenant: str | None = None,
    organization: str | None = None,
    which: Which = "open",
) -> list[Breach]:
    """Breached clocks (swept or not) of `tenant` / `organization`, the earliest deadline first."""
    found = []
    for row in rows:
        if row.status_at(now) is not ClockStatus.BREACHED or (which == "open" and row.stopped_at):
            continue
        if (tenant and row.tenant != tenant) or (organization and row.organization != organization):
            continue
        until = row.stopped_at or now
        found.append(
            Breach(
                case_id=row.case_id,
                tenant=row.tenant,
                organization=row.organization,
                standard=row.standard,
                started_at=row.started_at,
                deadline=row.deadline,
                stopped_at=row.stopped_at,
                overdue_hours=round((until - row.deadline).total_seconds() / 3600, 2),
            )
        )
    return sorted(found, key=lambda b: b.deadline)
