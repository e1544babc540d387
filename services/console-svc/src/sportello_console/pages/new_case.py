"""New case (call-taker): catalogue, caller, place; where it will go before saving."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sportello_shared.tenants import Tenant
from sportello_web import require_csrf

from ..intake_form import STAFF_CHANNELS, CaseForm
from ..services import Refused, Unavailable
from .common import Console, ConsoleDep
from .queues import with_time_left

router = APIRouter()


def tenant_of(console: Console) -> Tenant:
    if not console.user.registers_cases or console.user.tenant is None:
        raise HTTPException(403, "only the contact centre and the URP register cases")
    return console.tenants[console.user.tenant]


@router.get("/segnalazioni/nuova", name="new_case", response_class=HTMLResponse)
def new_case(console: ConsoleDep) -> HTMLResponse:
    return show(console, tenant_of(console), CaseForm.blank())


@router.post("/segnalazioni/nuova", dependencies=[Depends(require_csrf)])
async def register(console: ConsoleDep, request: Request) -> Response:
    tenant = tenant_of(console)
    form = CaseForm.of(dict(await request.form()))
    if (await request.form()).get("action") == "preview":
        preview, similar = await asyncio.gather(
            explain(console, tenant, form), duplicates(console, tenant, form)
        )
        return show(console, tenant, form, preview=preview, duplicates=similar)
    body = form.body(tenant)
    if body is None:
        return show(console, tenant, form, status=422)
    try:
        case = await console.post("intake", "/cases", body)
    except Refused as refused:
        form.add_service_errors(refused.errors)
        return show(console, tenant, form, status=422, refused=refused)
    return RedirectResponse(f"/segnalazioni/{case['case_id']}?registrata=1", status_code=303)


@router.post(
    "/segnalazioni/anteprima", dependencies=[Depends(require_csrf)], response_class=HTMLResponse
)
async def preview(console: ConsoleDep, request: Request) -> HTMLResponse:
    """htmx: the routing preview alone, as the form changes."""
    tenant = tenant_of(console)
    form = CaseForm.of(dict(await request.form()))
    return console.render("_preview.html", preview=await explain(console, tenant, form))


@router.post(
    "/segnalazioni/doppioni", dependencies=[Depends(require_csrf)], response_class=HTMLResponse
)
async def possible_duplicates(console: ConsoleDep, request: Request) -> HTMLResponse:
    """htmx: the open cases like this one, as the caller's contact and the place are typed."""
    tenant = tenant_of(console)
    form = CaseForm.of(dict(await request.form()))
    return console.render("_duplicates.html", duplicates=await duplicates(console, tenant, form))


async def duplicates(
    console: Console, tenant: Tenant, form: CaseForm
) -> list[dict[str, Any]] | None:
    """intake's open cases of the same citizen (by their contact's pseudonym) or of the same
    category at the same address; None while there is nothing to compare."""
    body = form.duplicates_body(tenant)
    if body is None:
        return None
    try:
        found = await console.post("intake", "/cases/queries/duplicates", body)
    except (Refused, Unavailable):
        return None
    return [with_time_left({**item, "next_deadline": None}) for item in found["items"]]


async def explain(console: Console, tenant: Tenant, form: CaseForm) -> dict[str, Any] | None:
    body = form.explain_body(tenant)
    if body is None:
        return None
    try:
        result: dict[str, Any] = await console.post("routing", "/routing/explain", body)
    except Refused:
        return None
    return result


def show(
    console: Console,
    tenant: Tenant,
    form: CaseForm,
    status: int = 200,
    preview: dict[str, Any] | None = None,
    refused: Refused | None = None,
    duplicates: list[dict[str, Any]] | None = None,
) -> HTMLResponse:
    return console.render(
        "new_case.html",
        status=status,
        tenant=tenant,
        form=form,
        channels=STAFF_CHANNELS,
        preview=preview,
        refused=refused,
        duplicates=duplicates,
    )
