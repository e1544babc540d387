"""A comune's business calendar: national holidays, its patron saint, its working week.

National holidays come from the `holidays` package (Italy, names in Italian), through
`sportello_shared.office_hours` (which notify's on-call paging reads too). Its provincial
subdivisions carry only the capoluogo's patron, which is wrong for every other comune, so the
patron saint comes from the tenant's own configuration instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Italy's public holidays by date, once for every service (L. 260/1949, 4 October from 2026)
from sportello_shared.office_hours import national_holidays

ROME = ZoneInfo("Europe/Rome")
SUNDAY = 6
MONDAY_TO_FRIDAY = frozenset(range(5))
END_OF_DAY = time(23, 59, 59)


def parse_month_day(value: str | None) -> tuple[int, int] | None:
    """'06-24' → (6, 24): how tenant.yaml writes a patron saint's day."""
    if value is None:
        return None
    month, day = value.split("-")
    return int(month), int(day)


@dataclass(frozen=True)
class TenantCalendar:
    """The days of one comune, in its time zone (Europe/Rome, with its DST changes)."""

    patron_saint: tuple[int, int] | None = None
    working_week: frozenset[int] = MONDAY_TO_FRIDAY
    zone: ZoneInfo = ROME

    # --- what a day is ---------------------------------------------------------------------------

    def national_holiday(self, day: date) -> str | None:
        return national_holidays(day.year).get(day)

    def is_patron_saint(self, day: date) -> bool:
        return self.patron_saint == (day.month, day.day)

    def is_festivo(self, day: date) -> bool:
        """Sundays, national holidays and the comune's patron saint: the office is closed."""
        return (
            day.weekday() == SUNDAY
            or self.national_holiday(day) is not None
            or self.is_patron_saint(day)
        )

    def is_prefestivo(self, day: date) -> bool:
        """A day that is not festivo but whose next day is: every Saturday, 24 and 31 December."""
        return not self.is_festivo(day) and self.is_festivo(day + timedelta(days=1))

    def is_working_day(self, day: date) -> bool:
        """A day of the office calendar: its working week minus national holidays and patron."""
        return (
            day.weekday() in self.working_week
            and self.national_holiday(day) is None
            and not self.is_patron_saint(day)
        )

    def moves_a_legal_term(self, day: date) -> bool:
        """Art. 2963 c.c., art. 155 c.p.c.: a term falling on a Sunday or a national holiday moves
        to the next day. Saturdays and local patron saints do not move it (Cass. 17079/2007)."""
        return day.weekday() == SUNDAY or self.national_holiday(day) is not None

    def describe(self, day: date) -> str | None:
        """The day's holiday in Italian, if any: what GET /calendar shows."""
        if name := self.national_holiday(day):
            return name
        if self.is_patron_saint(day):
            return "Santo patrono"
        return None

    # --- days and instants ----------------------------------------------------------------------

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        """Local midnight: it always exists in Rome (the clocks change at 2:00 and 3:00)."""
        return datetime.combine(day, time(0), tzinfo=self.zone)

    def end_of(self, day: date) -> datetime:
        """23:59:59 local: where a term of days ends."""
        return datetime.combine(day, END_OF_DAY, tzinfo=self.zone)
