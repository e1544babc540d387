"""When a comune's offices are open: opening spans in local time, never on a public holiday
(national ones, and the patron saint when the tenant names one). Dated cases, in Rome's time."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sportello_shared.office_hours import in_office_hours, public_holiday
from sportello_shared.tenants import OpeningSpan

ROME = ZoneInfo("Europe/Rome")
# Marcallo's notify.yaml: Monday to Friday, 8:30 to 17:30
WEEKDAYS = tuple(OpeningSpan(weekday=d, opens=time(8, 30), closes=time(17, 30)) for d in range(5))


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (rome(2026, 3, 3, 10, 0), True),  # a Tuesday at 10:00
        (rome(2026, 3, 3, 3, 0), False),  # the same Tuesday at 03:00
        (rome(2026, 3, 3, 8, 30), True),  # opens at 8:30 sharp ...
        (rome(2026, 3, 3, 17, 30), False),  # ... and is closed at 17:30
        (rome(2026, 3, 8, 10, 0), False),  # a Sunday at 10:00
        (rome(2025, 4, 25, 10, 0), False),  # Festa della Liberazione, a Friday
        (rome(2026, 12, 25, 10, 0), False),  # Christmas, a Friday
        (rome(2026, 12, 26, 10, 0), False),  # Santo Stefano, a Saturday anyway
        (rome(2026, 12, 24, 10, 0), True),  # Christmas Eve is a working day
        (rome(2026, 6, 2, 10, 0), False),  # Festa della Repubblica, a Tuesday
        (rome(2026, 10, 4, 10, 0), False),  # San Francesco, national again from 2026 (Sunday)
        (rome(2027, 10, 4, 10, 0), False),  # ... and on a Monday in 2027
        (rome(2026, 4, 6, 10, 0), False),  # Easter Monday 2026
        (rome(2026, 4, 7, 10, 0), True),  # the Tuesday after
    ],
)
def test_office_hours_on_working_days_sundays_and_holidays(at: datetime, open_: bool) -> None:
    assert in_office_hours(at, WEEKDAYS, "Europe/Rome") is open_


def test_the_instant_is_read_in_the_comune_s_time_zone() -> None:
    # 24 December 2026, 23:30 UTC is already Christmas in Rome (00:30 CET)
    assert public_holiday(datetime(2026, 12, 24, 23, 30, tzinfo=UTC).astimezone(ROME).date())
    summer_utc = datetime(2026, 7, 1, 6, 45, tzinfo=UTC)  # 8:45 in Rome (CEST), a Wednesday
    assert in_office_hours(summer_utc, WEEKDAYS, "Europe/Rome")
    assert not in_office_hours(datetime(2026, 7, 1, 6, 15, tzinfo=UTC), WEEKDAYS, "Europe/Rome")


def test_the_patron_saint_closes_the_comune_that_names_it_only() -> None:
    san_giovanni = rome(2026, 6, 24, 10, 0)  # Torino's patron, a Wednesday
    assert in_office_hours(san_giovanni, WEEKDAYS, "Europe/Rome")
    assert in_office_hours(san_giovanni, WEEKDAYS, "Europe/Rome", patron_saint="06-17")
    assert not in_office_hours(san_giovanni, WEEKDAYS, "Europe/Rome", patron_saint="06-24")
    assert public_holiday(san_giovanni.date(), "06-24") == "Santo patrono"


def test_holidays_are_named_in_italian_and_ordinary_days_are_none() -> None:
    assert public_holiday(rome(2026, 4, 25).date()) == "Anniversario della Liberazione"
    assert public_holiday(rome(2026, 12, 25).date()) == "Natale"
    assert public_holiday(rome(2026, 3, 3).date()) is None
    assert public_holiday(rome(2026, 3, 8).date()) is None  # a Sunday is no holiday by itself


def test_no_opening_spans_means_never_in() -> None:
    assert not in_office_hours(rome(2026, 3, 3, 10, 0), (), "Europe/Rome")
