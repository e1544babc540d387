"""The anomaly register (sla-svc's): the year's breaches and recorded anomalies, filtered by
office and by how far their cause and corrective actions have come; a form for an anomaly that
is not a breach (an interruption, anything else)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sportello_web import require_csrf

from .. import register_forms
from ..identity import REGISTER_READERS
from ..register_forms import PROGRESS, Form, progress_of
from ..services import Refused
from .common import Console, ConsoleDep
from .register_access import (
    REGISTER_WRITERS,
    names_of,
    refused_page,
    require,
    tenant_for,
    this_year,
    writes_register,
    year_of,
)

router = APIRouter()
PAGE = 50
YEARS_BACK = 5


@router.get("/anomalie", name="anomalies", response_class=HTMLResponse)
async def register(console: ConsoleDep, request: Request) -> HTMLResponse:
    require(console, REGISTER_READERS, "the anomaly register")
    asked = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    tenant = tenant_for(console, asked.get("ente"))
    year = year_of(asked.get("anno"), this_year())
    office = None if console.user.kind == "office" else asked.get("ufficio")
    progress = asked.get("azioni", "any") if asked.get("azioni") in PROGRESS else "any"
    entries: list[dict[str, Any]] = []
    if tenant:
        try:
            found = await console.get(
                "sla", "/anomalies", tenant=tenant, year=year, organization=office
            )
        except Refused as refused:
            raise refused_page(refused) from refused
        entries = [e for e in found if progress in progress_of(e)]
    page = max(int(asked["pagina"]) if asked.get("pagina", "").isdigit() else 1, 1)
    shown = entries[(page - 1) * PAGE : page * PAGE]
    return console.render(
        "anomalies.html",
        tenant=console.tenants.get(tenant) if tenant else None,
        tenants=list(console.tenants),
        asked=asked,
        year=year,
        years=range(this_year(), this_year() - YEARS_BACK, -1),
        office=office,
        progress=progress,
        progresses=PROGRESS,
        entries=shown,
        total=len(entries),
        page=page,
        pages=max((len(entries) + PAGE - 1) // PAGE, 1),
        references=references(console, shown),
        standards=names_of(console, tenant),
        writes=writes_register(console.user),
    )


def references(console: Console, entries: list[dict[str, Any]]) -> dict[str, str]:
    """The breached cases' references, from the read model (the register has their ids)."""
    ids = sorted({str(e["case_id"]) for e in entries if e.get("case_id")})
    if not ids:
        return {}
    marks = ", ".join(f":c{n}" for n in range(len(ids)))
    rows = console.model.query(
        f"SELECT case_id, reference FROM cases WHERE case_id IN ({marks})",
        {f"c{n}": case_id for n, case_id in enumerate(ids)},
    )
    return {row["case_id"]: row["reference"] for row in rows}


def writer_tenant(console: Console, asked: str | None) -> str:
    require(console, REGISTER_WRITERS, "recording anomalies")
    tenant = tenant_for(console, asked)
    if tenant is None:
        raise HTTPException(404, "choose a tenant")
    return tenant


@router.get("/anomalie/nuova", name="new_anomaly", response_class=HTMLResponse)
def new_anomaly(console: ConsoleDep, ente: str | None = None) -> HTMLResponse:
    tenant = writer_tenant(console, ente)
    return show_new(console, tenant, Form({"kind": "interruption"}))


@router.post("/anomalie/nuova", dependencies=[Depends(require_csrf)])
async def record(console: ConsoleDep, request: Request) -> Response:
    posted = dict(await request.form())
    tenant = writer_tenant(console, str(posted.get("ente", "")) or None)
    form = register_forms.new_anomaly(posted, tenant, console.user.organization)
    if form.body is None:
        return show_new(console, tenant, form, status=422)
    try:
        recorded = await console.post("sla", "/anomalies", form.body)
    except Refused as refused:
        form.refused(refused, "title")
        return show_new(console, tenant, form, status=refused.status)
    return RedirectResponse(f"/anomalie/{recorded['anomaly_id']}?fatto=recorded", 303)


def show_new(console: Console, tenant: str, form: Form, status: int = 200) -> HTMLResponse:
    return console.render(
        "anomaly_new.html",
        status=status,
        tenant=console.tenants[tenant],
        form=form,
        kinds=register_forms.KINDS,
    )
