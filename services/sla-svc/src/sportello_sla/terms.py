"""How a standard's limit turns a start instant into a deadline (all in the comune's calendar).

Three ways of counting, as the Carte dei servizi and the law use them:
- legal days: calendar days, the day of receipt excluded, due at the end of the N-th day, moved to
  the next day that is neither a Sunday nor a national holiday (art. 2963 c.c., L. 241/1990);
- working days: days of the office calendar counted from the day after receipt, due at the end of
  the N-th;
- hours: real elapsed time (24 hours across a DST change are 24 real hours), not counting the time
  that falls on excluded days (festivi, prefestivi) when the standard says so.

A suspension (the office waits for the citizen) extends a term by the suspended time, counted in
the term's own unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field
from sportello_shared.worded import Worded

from .calendars import TenantCalendar


class LimitKind(StrEnum):
    LEGAL_DAYS = "legal_days"
    WORKING_DAYS = "working_days"
    HOURS = "hours"


class Excluded(StrEnum):
    FESTIVI = "festivi"
    PREFESTIVI = "prefestivi"


class NaiveTime(Worded):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} must carry a UTC offset",
            it=f"{what}: indichi il fuso orario (es. 2026-03-02T09:00:00+01:00)",
        )


@dataclass(frozen=True)
class Suspension:
    """A stretch of time the term does not run, already capped by the policy's maximum."""

    start: datetime
    end: datetime


class Limit(BaseModel):
    """A standard's limit, e.g. `{kind: working_days, amount: 5}`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: LimitKind
    amount: int = Field(gt=0, le=3650)
    excluding: frozenset[Excluded] = frozenset()

    def deadline(
        self,
        start: datetime,
        calendar: TenantCalendar,
        suspensions: Sequence[Suspension] = (),
    ) -> datetime:
        """When a clock started at `start` is due, given the suspensions it went through."""
        if start.tzinfo is None:
            raise NaiveTime("start")
        match self.kind:
            case LimitKind.LEGAL_DAYS:
                days = self.amount + sum(_calendar_days(s, calendar) for s in suspensions)
                return legal_term(start, days, calendar)
            case LimitKind.WORKING_DAYS:
                days = self.amount + sum(_working_days(s, calendar) for s in suspensions)
                return working_days_term(start, days, calendar)
            case LimitKind.HOURS:
                extra = sum((self._counted(s.start, s.end, calendar) for s in suspensions), ZERO)
                return self._advance(start, timedelta(hours=self.amount) + extra, calendar)

    def warning(
        self,
        start: datetime,
        deadline: datetime,
        share: float,
        calendar: TenantCalendar,
        suspensions: Sequence[Suspension] = (),
    ) -> datetime:
        """The instant `share` of the limit has run: counted time for hours, else elapsed time."""
        if self.kind is LimitKind.HOURS:
            extra = sum((self._counted(s.start, s.end, calendar) for s in suspensions), ZERO)
            return self._advance(start, timedelta(hours=self.amount) * share + extra, calendar)
        return (start + (deadline - start) * share).replace(microsecond=0)

    def describe(self) -> str:
        unit = {"legal_days": "giorni (termine di legge)", "working_days": "giorni lavorativi"}
        text = f"{self.amount} {unit.get(self.kind, 'ore')}"
        if self.excluding:
            text += ", esclusi " + " e ".join(sorted(self.excluding))
        return text

    # --- hours ----------------------------------------------------------------------------------

    def _excluded(self, day: date, calendar: TenantCalendar) -> bool:
        return (Excluded.FESTIVI in self.excluding and calendar.is_festivo(day)) or (
            Excluded.PREFESTIVI in self.excluding and calendar.is_prefestivo(day)
        )

    def _advance(self, start: datetime, amount: timedelta, calendar: TenantCalendar) -> datetime:
        """The instant `amount` of counted time after `start`, walking the local days."""
        cursor = start.astimezone(UTC)
        if not self.excluding:
            return cursor + amount
        remaining = amount
        while True:
            day = calendar.local_date(cursor)
            day_end = calendar.start_of(day + timedelta(days=1)).astimezone(UTC)
            if not self._excluded(day, calendar):
                if remaining <= day_end - cursor:
                    return cursor + remaining
                remaining -= day_end - cursor
            cursor = day_end

    def _counted(self, start: datetime, end: datetime, calendar: TenantCalendar) -> timedelta:
        """How much counted time lies between two instants."""
        cursor, end = start.astimezone(UTC), end.astimezone(UTC)
        if not self.excluding:
            return max(end - cursor, ZERO)
        counted = ZERO
        while cursor < end:
            day = calendar.local_date(cursor)
            day_end = min(calendar.start_of(day + timedelta(days=1)).astimezone(UTC), end)
            if not self._excluded(day, calendar):
                counted += day_end - cursor
            cursor = day_end
        return counted


ZERO = timedelta(0)


def legal_term(start: datetime, days: int, calendar: TenantCalendar) -> datetime:
    """N calendar days, receipt day excluded; the last one moves past Sundays and holidays."""
    day = calendar.local_date(start) + timedelta(days=days)
    while calendar.moves_a_legal_term(day):
        day += timedelta(days=1)
    return calendar.end_of(day)


def working_days_term(start: datetime, days: int, calendar: TenantCalendar) -> datetime:
    """The end of the N-th working day after the day of receipt."""
    return calendar.end_of(_nth_working_day_after(calendar.local_date(start), days, calendar))


# Every case received on the same day has the same N-th working day: the walk over the calendar
# was the largest part of starting a clock. A few thousand (day, N, comune) cover years of cases.
@lru_cache(maxsize=4096)
def _nth_working_day_after(day: date, days: int, calendar: TenantCalendar) -> date:
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def _calendar_days(suspension: Suspension, calendar: TenantCalendar) -> int:
    """L. 241/1990 art. 2 c. 7: the calendar days between suspension and resumption."""
    return (calendar.local_date(suspension.end) - calendar.local_date(suspension.start)).days


def _working_days(suspension: Suspension, calendar: TenantCalendar) -> int:
    first, last = calendar.local_date(suspension.start), calendar.local_date(suspension.end)
    days = (first + timedelta(days=n) for n in range(1, (last - first).days + 1))
    return sum(1 for day in days if calendar.is_working_day(day))
