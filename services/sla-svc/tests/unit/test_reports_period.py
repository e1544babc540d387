"""The compliance report's default period counts days as the report does: in Italy."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sportello_sla.reports import this_year_so_far


def test_after_midnight_in_italy_today_is_the_italian_day() -> None:
    # 23:30 UTC on December 4th is 00:30 on December 5th in Rome (winter time)
    assert this_year_so_far(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)) == (
        date(2026, 1, 1),
        date(2026, 12, 5),
    )


def test_the_new_year_begins_at_italian_midnight() -> None:
    assert this_year_so_far(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == (
        date(2027, 1, 1),
        date(2027, 1, 1),
    )
    assert this_year_so_far(datetime(2026, 6, 30, 21, 59, tzinfo=UTC))[1] == date(2026, 6, 30)
    assert this_year_so_far(datetime(2026, 6, 30, 22, 0, tzinfo=UTC))[1] == date(2026, 7, 1)
