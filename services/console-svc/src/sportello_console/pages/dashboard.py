"""Supervisor dashboard (URP): today's volumes, open cases per office, risks, compliance."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response
from sportello_web.dates import ROME

from ..queues import counts, counts_by, declined_by_office
from ..services import Refused, Unavailable
from .common import Console, ConsoleDep

router = APIRouter()


def supervisor(console: Console) -> None:
    if not console.user.sees_dashboard:
        raise HTTPException(403, "the dashboard is for the URP")


@router.get("/cruscotto", name="dashboard", response_class=HTMLResponse)
async def dashboard(console: ConsoleDep) -> HTMLResponse:
    supervisor(console)
    today = datetime.now(ROME).date()
    midnight = datetime.combine(today, time(), ROME)
    new_year = datetime.combine(date(today.year, 1, 1), time(), ROME)
    model, user = console.model, console.user
    compliance = None
    if console.user.tenant:
        try:
            compliance = await console.get("sla", "/reports/compliance", tenant=console.user.tenant)
        except (Refused, Unavailable):
            compliance = None
    return console.render(
        "dashboard.html",
        by_channel=counts_by(model, user, "channel", received_since=midnight),
        by_category=counts_by(model, user, "category", received_since=midnight),
        by_office=counts_by(model, user, "organization", open_only=True),
        declined=declined_by_office(model, user, since=new_year),
        queued=counts(model, user),  # the cards count as the queues do
        compliance=compliance,
    )


@router.get("/cruscotto/conformita.csv", name="compliance_csv")
async def compliance_csv(console: ConsoleDep) -> Response:
    """sla-svc's compliance report as CSV, fetched with the user's token."""
    supervisor(console)
    if not console.user.tenant:
        raise HTTPException(404, "choose a tenant")
    settings = console.settings
    response = await console.services.client.get(
        f"{settings.sla_url}/reports/compliance",
        params={"tenant": console.user.tenant, "format": "csv"},
        headers={"authorization": f"Bearer {console.token}"},
    )
    if response.status_code != 200:
        raise HTTPException(response.status_code, "sla-svc refused the report")
    return Response(
        response.content,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": response.headers.get("content-disposition", "")},
    )
