"""Erase a citizen's personal data (admin): a confirmation page, then intake's erasure API.

intake-svc decides (admin only, every case of the citizen closed) and crypto-shreds the data;
the page lists the citizen's cases first (by the pseudonym of the case's contacts) so the admin
sees what the erasure will touch.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sportello_web import require_csrf

from ..services import Refused
from .case import erasable
from .case_file import file_of
from .common import Console, ConsoleDep
from .queues import with_time_left

router = APIRouter()


def admin(console: Console) -> None:
    if console.user.kind != "admin":
        raise HTTPException(403, "only an administrator erases personal data")


@router.get("/segnalazioni/{case_id}/cancellazione", name="erasure", response_class=HTMLResponse)
async def confirm(case_id: UUID, console: ConsoleDep) -> HTMLResponse:
    admin(console)
    return await page(console, await file_of(console, case_id))


@router.post("/segnalazioni/{case_id}/cancellazione", dependencies=[Depends(require_csrf)])
async def erase(case_id: UUID, console: ConsoleDep, request: Request) -> Response:
    admin(console)
    case = await file_of(console, case_id)
    if (await request.form()).get("confirm") != "1":
        return await page(console, case, unconfirmed=True, status=422)
    try:
        await console.post("intake", "/admin/erasures", {"case_id": str(case_id)})
    except Refused as refused:
        return await page(console, case, refused=refused.detail, status=refused.status)
    return RedirectResponse(f"/segnalazioni/{case_id}?fatto=erase", status_code=303)


async def page(
    console: Console,
    case: dict[str, Any],
    refused: str | None = None,
    status: int = 200,
    unconfirmed: bool = False,
) -> HTMLResponse:
    citizen = case.get("citizen") or {}
    contacts = {k: citizen[k] for k in ("email", "phone") if citizen.get(k)}
    others: list[dict[str, Any]] = []
    if contacts and erasable(case):
        found = await console.post("intake", "/cases/queries/by-contact", contacts)
        others = [with_time_left(summary_row(item)) for item in found["items"]]
    return console.render(
        "erasure.html",
        status=status,
        case=case,
        cases=others,
        still_open=[c for c in others if c["status"] not in ("closed", "rejected")],
        erasable=erasable(case),
        refused=refused,
        unconfirmed=unconfirmed,
    )


def summary_row(item: dict[str, Any]) -> dict[str, Any]:
    """intake's case summary in the shape of the read model's rows (the case table macro)."""
    return {**item, "next_deadline": None}
