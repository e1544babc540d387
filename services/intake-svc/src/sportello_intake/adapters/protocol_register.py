"""The protocol register kept in intake's own event store: one `ProtocolYear` per tenant and
year, numbers like `2026/000123` (the year of the day in Europe/Rome).

Each number is saved before the case that records it: a number is never given twice, and one
drawn for a case that then failed to save is skipped (as in a paper register's annulled
entries). Another replica drawing at the same time fails the store's version check: draw again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from ..domain import ProtocolYear

ROME = ZoneInfo("Europe/Rome")
ATTEMPTS = 5


class StoredProtocolRegister:
    def __init__(self, app: Application[Any]) -> None:
        self.app = app

    def draw(self, tenant: str, at: datetime, number_format: str) -> str:
        year = at.astimezone(ROME).year
        for attempt in range(1, ATTEMPTS + 1):
            register = self._year(tenant, year)
            register.give()
            try:
                self.app.save(register)
            except IntegrityError:
                if attempt == ATTEMPTS:
                    raise
                continue
            return number_format.format(year=year, number=register.last)
        raise AssertionError("unreachable")

    def _year(self, tenant: str, year: int) -> ProtocolYear:
        try:
            register: ProtocolYear = self.app.repository.get(ProtocolYear.create_id(tenant, year))
        except AggregateNotFoundError:
            return ProtocolYear(tenant, year)
        return register
