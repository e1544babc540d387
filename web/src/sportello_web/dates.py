"""Europe/Rome times for people: whatever the services send (UTC ISO strings or datetimes)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")


def parse_instant(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def rome(value: datetime | str | None) -> datetime | None:
    instant = parse_instant(value)
    return instant.astimezone(ROME) if instant else None


def rome_datetime(value: datetime | str | None) -> str:
    """'04/12/2026 16:20' in Rome's time (the Italian convention; English pages use it too)."""
    local = rome(value)
    return local.strftime("%d/%m/%Y %H:%M") if local else ""


def rome_date(value: datetime | date | str | None) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    local = rome(value)
    return local.strftime("%d/%m/%Y") if local else ""


def rome_iso(value: datetime | str | None) -> str:
    """For <time datetime="…">: machine-readable, with Rome's offset."""
    local = rome(value)
    return local.isoformat(timespec="minutes") if local else ""


def rome_input(value: datetime | str | None) -> str:
    """For <input type="datetime-local">: Rome's wall time without offset."""
    local = rome(value)
    return local.strftime("%Y-%m-%dT%H:%M") if local else ""


def from_rome_input(text: str) -> datetime | None:
    """A datetime-local field's value, read as Rome's wall time; None when empty."""
    if not text.strip():
        return None
    return datetime.fromisoformat(text.strip()).replace(tzinfo=ROME)
