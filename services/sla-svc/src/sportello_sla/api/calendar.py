"""GET /calendar/{tenant}: the comune's festivi, prefestivi and working days, and office hours."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sportello_shared.edge import invalid

from .deps import SlaDep

router = APIRouter(tags=["calendar"])
MAX_DAYS = 366


class Day(BaseModel):
    date: date
    weekday: int
    festivo: bool
    prefestivo: bool
    working_day: bool
    holiday: str | None


class OfficeHours(BaseModel):
    weekday: int
    opens: str
    closes: str


class CalendarView(BaseModel):
    tenant: str
    patron_saint: str | None
    working_week: list[int]
    festivi: list[date]
    prefestivi: list[date]
    working_days: list[date]
    days: list[Day]
    office_hours: dict[str, list[OfficeHours]]


@router.get("/calendar/{tenant}")
async def calendar(
    tenant: str,
    sla: SlaDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> CalendarView:
    """Defaults to the next 30 days; at most a year at a time."""
    config = sla.tenant(tenant, "path")
    first = from_ or date.today()
    last = to or first + timedelta(days=30)
    if last < first:
        invalid("to", it="non può essere prima di from", en="must not be before from")
    if (last - first).days >= MAX_DAYS:
        invalid(
            "to",
            it=f"al massimo {MAX_DAYS} giorni dopo from",
            en=f"at most {MAX_DAYS} days after from",
        )
    cal = config.calendar
    days = [
        Day(
            date=day,
            weekday=day.weekday(),
            festivo=cal.is_festivo(day),
            prefestivo=cal.is_prefestivo(day),
            working_day=cal.is_working_day(day),
            holiday=cal.describe(day),
        )
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
    ]
    patron = f"{cal.patron_saint[0]:02d}-{cal.patron_saint[1]:02d}" if cal.patron_saint else None
    return CalendarView(
        tenant=tenant,
        patron_saint=patron,
        working_week=sorted(cal.working_week),
        festivi=[d.date for d in days if d.festivo],
        prefestivi=[d.date for d in days if d.prefestivo],
        working_days=[d.date for d in days if d.working_day],
        days=days,
        office_hours={
            org: [
                OfficeHours(weekday=s.weekday, opens=f"{s.opens:%H:%M}", closes=f"{s.closes:%H:%M}")
                for s in spans
            ]
            for org, spans in config.office_hours.items()
        },
    )
