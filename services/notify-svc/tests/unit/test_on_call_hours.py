"""When Marcallo's urgent line wakes the on-call rota: out of its offices' hours (notify.yaml's
`on_call.office_hours`, as deployed), and all day on a public holiday or the patron saint's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sportello_notify.domain import OnCallRota

TENANTS = Path(__file__).resolve().parents[4] / "deploy" / "tenants"
MARCALLO = OnCallRota.model_validate(
    yaml.safe_load((TENANTS / "marcallo" / "notify.yaml").read_text(encoding="utf-8"))["on_call"]
)
ROME = ZoneInfo("Europe/Rome")


def rome(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


@pytest.mark.parametrize(
    ("at", "paged"),
    [
        (rome(2026, 3, 3, 10), False),  # a Tuesday at 10:00: the offices act themselves
        (rome(2026, 3, 3, 3), True),  # the same Tuesday at 03:00
        (rome(2026, 3, 8, 10), True),  # a Sunday at 10:00
        (rome(2025, 4, 25, 10), True),  # 25 April, a Friday, at 10:00
        (rome(2026, 12, 25, 10), True),  # Christmas, a Friday, at 10:00
        (rome(2026, 6, 2, 11), True),  # Festa della Repubblica, a Tuesday
        (rome(2026, 12, 24, 10), False),  # Christmas Eve works
    ],
)
def test_the_rota_is_paged_out_of_office_hours_and_on_public_holidays(
    at: datetime, paged: bool
) -> None:
    assert MARCALLO.out_of_hours(at, "Europe/Rome") is paged


def test_a_configured_patron_saint_is_a_holiday_for_that_comune_only() -> None:
    sant_ambrogio = rome(2026, 12, 7, 10)  # a Monday
    assert not MARCALLO.out_of_hours(sant_ambrogio, "Europe/Rome")
    assert MARCALLO.out_of_hours(sant_ambrogio, "Europe/Rome", patron_saint="12-07")
