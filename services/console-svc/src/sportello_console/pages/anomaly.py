"""One anomaly of the register: what happened, its cause, its corrective actions; the forms to
record the cause, add an action, change an action's status and end an interruption.

Each form posts, then redirects back (303) with what was done; a refusal (sla-svc's 422 for
personal data in a text, among others) comes back beside its field with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sportello_web import require_csrf

from .. import register_forms
from ..identity import REGISTER_READERS
from ..register_forms import ACTION_STATUSES, Form
from ..services import Refused
from .anomalies import references
from .common import Console, ConsoleDep
from .register_access import (
    REGISTER_WRITERS,
    call,
    names_of,
    refused_page,
    require,
    writes_register,
)

router = APIRouter()


async def entry_of(console: Console, anomaly_id: UUID) -> dict[str, Any]:
    try:
        entry: dict[str, Any] = await console.get("sla", f"/anomalies/{anomaly_id}")
    except Refused as refused:
        raise refused_page(refused) from refused
    return entry


@router.get("/anomalie/{anomaly_id}", name="anomaly", response_class=HTMLResponse)
async def anomaly_page(anomaly_id: UUID, console: ConsoleDep) -> HTMLResponse:
    require(console, REGISTER_READERS, "the anomaly register")
    return show(console, await entry_of(console, anomaly_id))


def show(
    console: Console,
    entry: dict[str, Any],
    failed: dict[str, Form] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The page; `failed` holds the one form sent back with its errors, by its name."""
    forms = {
        "cause": Form({"cause": entry.get("cause") or ""}),
        "action": Form({"status": "planned"}),
        "end": Form(),
        **{f"status-{a['number']}": Form({"status": a["status"]}) for a in entry["actions"]},
        **(failed or {}),
    }
    return console.render(
        "anomaly.html",
        status=status,
        entry=entry,
        forms=forms,
        summary=error_summary(failed or {}),
        statuses=ACTION_STATUSES,
        references=references(console, [entry]),
        standards=names_of(console, entry["tenant"]),
        writes=writes_register(console.user),
        done=console.request.query_params.get("fatto"),
    )


LABELS = {"cause": "field.cause", "description": "field.description_action",
          "status": "field.status", "due": "field.due", "ended_at": "field.ended_at"}  # fmt: skip


def error_summary(failed: dict[str, Form]) -> list[tuple[str, str, str]]:
    """(field id, label key, message) of the form sent back: listed at the top of the page,
    each linking to its field (the form may be far down the page)."""
    return [
        (f"action-{name.split('-')[1]}-status" if name.startswith("status-") else field,
         LABELS.get(field, field), message)
        for name, form in failed.items()
        for field, message in form.errors.items()
    ]  # fmt: skip


async def write(
    console: Console,
    anomaly_id: UUID,
    request: Request,
    name: str,
    read: Callable[[dict[str, Any], dict[str, Any]], Form],
    method: str,
    path: str,
    default_field: str,
) -> Response:
    """Check the form, send it to sla-svc, redirect (303) or show it again with its errors."""
    require(console, REGISTER_WRITERS, "writing in the anomaly register")
    entry = await entry_of(console, anomaly_id)
    form = read(dict(await request.form()), entry)
    if form.body is None:
        return show(console, entry, {name: form}, status=422)
    try:
        await call(console, method, path, form.body)
    except Refused as refused:
        form.refused(refused, default_field)
        return show(console, await entry_of(console, anomaly_id), {name: form}, refused.status)
    done = name.split("-")[0]
    return RedirectResponse(f"/anomalie/{anomaly_id}?fatto={done}#{name}-form", 303)


@router.post("/anomalie/{anomaly_id}/causa", dependencies=[Depends(require_csrf)])
async def record_cause(anomaly_id: UUID, console: ConsoleDep, request: Request) -> Response:
    return await write(
        console, anomaly_id, request, "cause",
        lambda posted, _: register_forms.cause(posted),
        "PUT", f"/anomalies/{anomaly_id}/cause",
        "cause",
    )  # fmt: skip


@router.post("/anomalie/{anomaly_id}/azioni", dependencies=[Depends(require_csrf)])
async def add_action(anomaly_id: UUID, console: ConsoleDep, request: Request) -> Response:
    return await write(
        console, anomaly_id, request, "action",
        lambda posted, _: register_forms.new_action(posted),
        "POST", f"/anomalies/{anomaly_id}/actions",
        "description",
    )  # fmt: skip


@router.post("/anomalie/{anomaly_id}/azioni/{number}", dependencies=[Depends(require_csrf)])
async def change_action(
    anomaly_id: UUID, number: int, console: ConsoleDep, request: Request
) -> Response:
    return await write(
        console, anomaly_id, request, f"status-{number}",
        lambda posted, _: register_forms.action_status(posted),
        "PATCH", f"/anomalies/{anomaly_id}/actions/{number}",
        "status",
    )  # fmt: skip


@router.post("/anomalie/{anomaly_id}/fine", dependencies=[Depends(require_csrf)])
async def end(anomaly_id: UUID, console: ConsoleDep, request: Request) -> Response:
    def read(posted: dict[str, Any], entry: dict[str, Any]) -> Form:
        if entry["kind"] == "breach":
            raise HTTPException(409, "a breach ends at its deadline")
        return register_forms.end(posted, entry["started_at"])

    return await write(
        console, anomaly_id, request, "end", read,
        "POST", f"/anomalies/{anomaly_id}/end",
        "ended_at",
    )  # fmt: skip
