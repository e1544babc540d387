"""When a comune's offices are open: its opening spans in local time, and never on a public
holiday. Pure: what notify asks before waking the on-call rota (and any service that needs to
know whether somebody is in).

Public holidays are Italy's national ones (the `holidays` package, names in Italian; L. 260/1949
as amended) plus the comune's patron saint when its tenant.yaml names one (`patron_saint`,
'MM-DD'). The package's provincial subdivisions carry only the capoluogo's patron, wrong for every
other comune, so they are not used. On such a day the whole day is out of office hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from .tenants import OpeningSpan

PATRON_SAINT = "Santo patrono"


@lru_cache(maxsize=64)
def national_holidays(year: int) -> dict[date, str]:
    """Italy's public holidays of `year` by date, in Italian. A plain dict per year, built once:
    the package's own object fills years lazily, not safe to share between threads."""
    calendar = holidays.country_holidays("IT", years=year, language="it_IT")
    return dict(calendar.items())


def public_holiday(day: date, patron_saint: str | None = None) -> str | None:
    """The holiday `day` is, in Italian, or None: a national one, or the comune's patron saint
    (`patron_saint` as tenant.yaml writes it, 'MM-DD')."""
    if name := national_holidays(day.year).get(day):
        return name
    if patron_saint is not None and patron_saint == f"{day.month:02d}-{day.day:02d}":
        return PATRON_SAINT
    return None


def in_office_hours(
    at: datetime,
    hours: Iterable[OpeningSpan],
    timezone: str,
    patron_saint: str | None = None,
) -> bool:
    """Whether `at` (an aware instant) falls in one of the opening spans, in the comune's local
    time, on a day that is not a public holiday. No spans: never."""
    local = at.astimezone(ZoneInfo(timezone))
    if public_holiday(local.date(), patron_saint) is not None:
        return False
    now = local.time().replace(tzinfo=None)
    return any(
        span.weekday == local.weekday() and span.opens <= now < span.closes for span in hours
    )
