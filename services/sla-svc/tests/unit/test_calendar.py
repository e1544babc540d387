"""The comune's calendar: national holidays from `holidays`, the patron from tenant.yaml."""

from __future__ import annotations

from datetime import date

import pytest
from sportello_sla.calendars import TenantCalendar

from .conftest import CATALOGUE

TORINO = CATALOGUE["torino"].calendar
PISA = CATALOGUE["pisa"].calendar
RESCALDINA = CATALOGUE["rescaldina"].calendar


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "Capodanno"),
        (date(2026, 1, 6), "Epifania"),
        (date(2026, 4, 6), "Lunedì dell'Angelo"),
        (date(2026, 4, 25), "Anniversario della Liberazione"),
        (date(2026, 5, 1), "Festa del Lavoro"),
        (date(2026, 6, 2), "Festa della Repubblica"),
        (date(2026, 8, 15), "Assunzione della Beata Vergine Maria"),
        (date(2026, 10, 4), "Festa nazionale di San Francesco d'Assisi, patrono d'Italia"),
        (date(2026, 11, 1), "Giorno dell'unità nazionale; Ognissanti"),
        (date(2026, 12, 8), "Immacolata Concezione"),
        (date(2026, 12, 25), "Natale"),
        (date(2026, 12, 26), "Santo Stefano"),
    ],
)
def test_national_holidays_come_from_the_holidays_package_in_italian(day: date, name: str) -> None:
    assert TORINO.national_holiday(day) == name
    assert TORINO.is_festivo(day) and not TORINO.is_working_day(day)


def test_4_october_is_national_only_from_2026() -> None:
    assert RESCALDINA.national_holiday(date(2025, 10, 4)) is None
    assert RESCALDINA.national_holiday(date(2027, 10, 4)) is not None


def test_the_patron_saint_is_the_comunes_own_not_the_provinces() -> None:
    assert TORINO.is_festivo(date(2026, 6, 24)) and not TORINO.is_working_day(date(2026, 6, 24))
    assert PISA.is_festivo(date(2026, 6, 17)) and not PISA.is_working_day(date(2026, 6, 17))
    assert PISA.is_working_day(date(2026, 6, 24)) and TORINO.is_working_day(date(2026, 6, 17))
    # Rescaldina is in the province of Milano, but Sant'Ambrogio (7 Dec) is Milan's patron only
    assert RESCALDINA.is_working_day(date(2026, 12, 7))
    assert TORINO.describe(date(2026, 6, 24)) == "Santo patrono"


def test_a_patron_saint_closes_the_office_but_does_not_move_a_legal_term() -> None:
    assert not TORINO.moves_a_legal_term(date(2026, 6, 24))
    assert TORINO.moves_a_legal_term(date(2026, 6, 28))  # a Sunday
    assert not TORINO.moves_a_legal_term(date(2026, 6, 27))  # Saturdays do not move it


@pytest.mark.parametrize(
    ("day", "prefestivo"),
    [
        (date(2026, 6, 27), True),  # every Saturday
        (date(2026, 12, 24), True),
        (date(2026, 12, 31), True),
        (date(2026, 4, 24), True),  # the eve of the Liberation
        (date(2026, 6, 23), True),  # the eve of Torino's patron
        (date(2026, 12, 23), False),
        (date(2026, 12, 25), False),  # a festivo is not also a prefestivo
    ],
)
def test_prefestivi(day: date, prefestivo: bool) -> None:
    assert TORINO.is_prefestivo(day) is prefestivo


def test_the_working_week_is_the_tenants() -> None:
    every_day = TenantCalendar(working_week=frozenset(range(7)))
    assert every_day.is_working_day(date(2026, 6, 28))  # a Sunday
    assert not every_day.is_working_day(date(2026, 6, 2))
    assert not TORINO.is_working_day(date(2026, 6, 27))  # Saturday: offices closed
