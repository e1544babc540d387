"""The compliance report (Casale Monferrato publishes one every year), from the clock board.

Per standard and organization: cases, met, breached, still open, compliance, median and 90th
percentile of the time to stop; per standard and month, the same counts for the chart; per
office, the citizens' satisfaction. Clocks count in the period their (latest) run started.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from .calendars import ROME
from .clock_rows import ClockRow, Rating
from .domain import ClockStatus

UNASSIGNED = "non assegnata"


@dataclass
class Tally:
    cases: int = 0
    met: int = 0
    breached: int = 0
    open: int = 0
    hours_to_stop: list[float] = field(default_factory=list)

    def add(self, row: ClockRow, now: datetime) -> None:
        self.cases += 1
        status = row.status_at(now)
        if status is ClockStatus.MET:
            self.met += 1
        elif status is ClockStatus.BREACHED:
            self.breached += 1
        else:
            self.open += 1
        if row.stopped_at is not None:
            # in UTC: two times in the same zone subtract as wall clocks (an hour off across
            # the change to or from summer time)
            elapsed = row.stopped_at.astimezone(UTC) - row.started_at.astimezone(UTC)
            self.hours_to_stop.append(elapsed.total_seconds() / 3600)

    @property
    def compliance(self) -> float | None:
        """Met over decided (met or breached), in percent; None until one is decided."""
        decided = self.met + self.breached
        return round(100 * self.met / decided, 1) if decided else None

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.hours_to_stop), 2) if self.hours_to_stop else None

    @property
    def p90_hours(self) -> float | None:
        data = self.hours_to_stop
        if len(data) < 2:
            return round(data[0], 2) if data else None
        return round(statistics.quantiles(data, n=10, method="inclusive")[8], 2)


@dataclass(frozen=True)
class Line:
    standard: str
    organization: str
    tally: Tally


@dataclass(frozen=True)
class Satisfaction:
    organization: str
    answers: int
    average: float
    distribution: dict[int, int]


@dataclass(frozen=True)
class ComplianceReport:
    tenant: str
    period_from: date
    period_to: date
    as_of: datetime
    lines: list[Line]
    months: dict[str, dict[str, Tally]]
    satisfaction: list[Satisfaction]


def this_year_so_far(now: datetime) -> tuple[date, date]:
    """The default period: January 1st to today, days as the report counts them (in Italy: at
    00:30 on January 1st the new year has begun, though UTC still says December 31st)."""
    today = now.astimezone(ROME).date()
    return date(today.year, 1, 1), today


def compliance_report(
    tenant: str,
    rows: Iterable[ClockRow],
    ratings: Iterable[Rating],
    period: tuple[date, date],
    now: datetime,
) -> ComplianceReport:
    start, end = period
    by_line: dict[tuple[str, str], Tally] = defaultdict(Tally)
    by_month: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for row in rows:
        started = row.started_at.astimezone(ROME).date()
        if row.tenant != tenant or not start <= started <= end:
            continue
        by_line[(row.standard, row.organization or UNASSIGNED)].add(row, now)
        by_month[row.standard][started.strftime("%Y-%m")].add(row, now)
    lines = [Line(s, o, tally) for (s, o), tally in sorted(by_line.items())]
    months = {s: dict(sorted(m.items())) for s, m in sorted(by_month.items())}
    return ComplianceReport(
        tenant, start, end, now, lines, months, _satisfaction(tenant, ratings, start, end)
    )


def _satisfaction(
    tenant: str, ratings: Iterable[Rating], start: date, end: date
) -> list[Satisfaction]:
    by_office: dict[str, list[int]] = defaultdict(list)
    for rating in ratings:
        if rating.tenant == tenant and start <= rating.at.astimezone(ROME).date() <= end:
            by_office[rating.organization or UNASSIGNED].append(rating.rating)
    return [
        Satisfaction(
            office,
            len(values),
            round(statistics.fmean(values), 2),
            dict(sorted(Counter(values).items())),
        )
        for office, values in sorted(by_office.items())
    ]
