"""The case page: the file, timeline, clocks, routing, messages; only the allowed actions."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sportello_web import require_csrf

from ..identity import StaffUser
from ..procedure_forms import OPTIONAL_FIELDS, PROCEDURE_FIELDS, procedure_body
from ..services import Refused, Unavailable
from ..timeline import named_assignment, named_timeline
from . import triage
from .case_file import file_of, live_file_of
from .common import Console, ConsoleDep, Names
from .on_call import on_call_panel

router = APIRouter()


@dataclass(frozen=True)
class Action:
    service: str
    path: str  # {id} is the case id
    fields: tuple[str, ...]  # form fields sent as they are (all required unless in OPTIONAL)


ACTIONS = {
    "take-in-charge": Action("intake", "/cases/{id}/take-in-charge", ()),
    "contact": Action("intake", "/cases/{id}/contact", ("means", "note")),
    "wait-for-citizen": Action("intake", "/cases/{id}/wait-for-citizen", ("request",)),
    "resume": Action("intake", "/cases/{id}/resume", ()),
    "resolve": Action("intake", "/cases/{id}/resolve", ("outcome",)),
    "close": Action("intake", "/cases/{id}/close", ("outcome",)),
    "request-reassignment": Action("intake", "/cases/{id}/request-reassignment", ("reason",)),
    "reopen": Action("intake", "/cases/{id}/reopen", ("reason",)),
    "reassign": Action("routing", "/assignments/{id}/reassign", ("organization", "reason")),
    "decline-reopen": Action("intake", "/cases/{id}/reopen-request/decline", ("reason",)),
    "classify": Action("intake", "/cases/{id}/classify", ("category",)),
    "forward": Action("intake", "/cases/{id}/forward", ("to",)),
    "office-answer": Action("intake", "/cases/{id}/office-answer", ("answer",)),
    # the other acts (identity.ACTS_BY_STATUS)
    "note": Action("intake", "/cases/{id}/note", ("note",)),
    "update-citizen": Action("intake", "/cases/{id}/update-citizen", ("message",)),
    "schedule-callback": Action("intake", "/cases/{id}/schedule-callback", ("note",)),
    "callback-done": Action("intake", "/cases/{id}/callback-done", ("means", "note")),
    "consult": Action("intake", "/cases/{id}/consult", ("question", "answer")),
    "transfer": Action("intake", "/cases/{id}/transfer", ("to",)),
    "dismiss": Action("intake", "/cases/{id}/dismiss", ("reason", "duplicate_of")),
    "merge": Action("intake", "/cases/{id}/merge", ("duplicate_of",)),
    # Casale's procedures (issue 18 point 6; procedure_forms.py)
    **{
        step: Action("intake", f"/cases/{{id}}/{step}", tuple(n for n, _ in fields))
        for step, fields in PROCEDURE_FIELDS.items()
    },
}
# each act's fields as its form shows them: a text area, a line, or the means of a callback
ACT_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "note": (("note", "text"),),
    "update-citizen": (("message", "text"),),
    "schedule-callback": (("note", "text"),),
    "callback-done": (("means", "means"), ("note", "text")),
    "consult": (("question", "text"), ("answer", "text")),
    "transfer": (("to", "line"),),
    "dismiss": (("reason", "text"), ("duplicate_of", "line")),
    "merge": (("duplicate_of", "line"),),
    **PROCEDURE_FIELDS,
}
UNCLASSIFIED = "da_classificare"  # a mailbox's case, waiting for the triage to classify it
# intake says what it needs; forward's `to`: none, the rules' office
OPTIONAL = {"note", "duplicate_of", "to", *OPTIONAL_FIELDS}
WITH_REPLIES = ("resolve", "close")  # the forms that offer the tenant's reply templates
# the triage's corrections and the on-call acknowledgment (pages/triage.py)
ACTIONS.update({name: Action(*spec) for name, spec in triage.TRIAGE_ACTIONS.items()})
OPTIONAL |= triage.TRIAGE_OPTIONAL
# the steps with nothing to fill in: one button each; every other form starts collapsed
ONE_CLICK = frozenset(name for name, action in ACTIONS.items() if not action.fields)


@router.get("/segnalazioni/{case_id}", name="case", response_class=HTMLResponse)
async def case_page(case_id: UUID, console: ConsoleDep) -> HTMLResponse:
    return await show(console, case_id)


@router.post("/segnalazioni/{case_id}/azioni/{action}", dependencies=[Depends(require_csrf)])
async def act(case_id: UUID, action: str, console: ConsoleDep, request: Request) -> Response:
    command = ACTIONS.get(action)
    if command is None:
        raise HTTPException(404, f"no action {action}")
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    if action in WITH_REPLIES and form.get("fill"):  # "use this text", without JavaScript
        case = await file_of(console, case_id)
        chosen = reply_text(console, case, form.get("reply", ""))
        form["outcome"] = chosen or form.get("outcome", "")
        filled: dict[str, Any] = {"action": action, "fields": [], "detail": None, "values": form}
        filled["filled"] = True
        return await show(console, case_id, failure=filled)
    missing = [f for f in command.fields if not form.get(f) and f not in OPTIONAL]
    if action == "report-inspection":  # the verbale is a file, not a text field
        missing = [f for f in missing if f != "report"]
    if missing:
        failure = {"action": action, "fields": missing, "detail": None, "values": form}
        return await show(console, case_id, failure=failure, status=422)
    body: dict[str, Any] = {f: form.get(f, "") for f in command.fields}
    if action == "dismiss" and not body["duplicate_of"]:
        del body["duplicate_of"]  # out of scope, not a duplicate
    if action == "forward" and not body["to"]:
        del body["to"]  # the office routing's rules choose
    if action == "take-in-charge":
        body["operator"] = console.user.actor_label
    if command.service == "routing":
        body["actor"] = console.user.actor_label
    body = triage.triage_body(action, body)
    try:
        if action in PROCEDURE_FIELDS:
            upload = (await request.form()).get("report")
            tenant = console.tenants.get((await file_of(console, case_id))["tenant"])
            zone = tenant.timezone if tenant else "Europe/Rome"
            body = await procedure_body(
                console.services, console.token, str(case_id), action, form, upload, zone
            )
        await console.post(command.service, command.path.format(id=case_id), body)
    except Refused as refused:
        failure = {"action": action, "fields": [], "detail": refused.detail, "values": form}
        return await show(console, case_id, failure=failure, status=refused.status)
    except Unavailable:
        if action != triage.ON_CALL_ACTION:
            raise
        failure = {"action": action, "fields": [], "detail": None, "values": form}
        return await show(console, case_id, failure=failure, status=503)
    if action == "office-answer" and console.user.kind == "office":
        # answered: the case is the front office's again, no longer this office's to see
        return RedirectResponse(f"/code/to_take?fatto={action}", status_code=303)
    return RedirectResponse(f"/segnalazioni/{case_id}?fatto={action}", status_code=303)


@router.get("/segnalazioni/{case_id}/vivo", name="case_live", response_class=HTMLResponse)
async def case_live(case_id: UUID, console: ConsoleDep, stato: str = "") -> HTMLResponse:
    """htmx, on the case's server-sent event: the file, clocks, routing, timeline, messages.
    The actions stay as they are (nothing typed is lost); a changed status is said, and so is a
    case that has left this user's sight (an office's answered or reassigned case)."""
    try:
        case = await live_file_of(console, case_id)
    except HTTPException as refused:
        if refused.status_code != 403:
            raise
        return console.render("_case_gone.html")
    context = await around(console, case)
    return console.render("_case_live.html", **context, loaded_status=stato)


@router.post(
    "/segnalazioni/{case_id}/testo-risposta",
    dependencies=[Depends(require_csrf)],
    response_class=HTMLResponse,
)
async def reply_field(case_id: UUID, console: ConsoleDep, request: Request) -> HTMLResponse:
    """htmx: the outcome field filled with the chosen reply template."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    action = form.get("azione", "close") if form.get("azione") in WITH_REPLIES else "close"
    case = await file_of(console, case_id)
    text = reply_text(console, case, form.get("reply", "")) or form.get("outcome", "")
    return console.render("_outcome_field.html", action=action, values={"outcome": text})


def reply_text(console: Console, case: dict[str, Any], reply_id: str) -> str | None:
    reply = console.replies.find(case["tenant"], case["category"], reply_id)
    return reply.text_for(case["reference"]) if reply else None


async def around(console: Console, case: dict[str, Any]) -> dict[str, Any]:
    """What the other services know of the case, beside intake's file."""
    case_id = case["case_id"]
    assignment, clocks, messages = await asyncio.gather(
        optional(console, "routing", f"/assignments/{case_id}"),
        optional(console, "sla", f"/cases/{case_id}/clocks"),
        optional(console, "notify", f"/cases/{case_id}/notifications"),
    )
    names = Names(console.tenants).organization  # offices by their names, never their codes
    return {
        **{"case": case, "clocks": clocks, "messages": messages},
        "assignment": named_assignment(case, assignment, names),
        "timeline": named_timeline(case, assignment, names),
    }


async def show(
    console: Console, case_id: UUID, failure: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    case = await file_of(console, case_id)
    tenant = console.tenants.get(case["tenant"])
    user = console.user
    reopen_request = pending_reopen_request(case) if user.decides_reopening else None
    procedure_steps = console.request.app.state.procedure_steps.offered(user, case)
    actions, acts = offered_forms(user, case, procedure_steps, reopen_request is not None)
    return console.render(
        "case.html",
        status=status,
        **await around(console, case),
        actions=actions,
        acts=acts,
        ACT_FIELDS=ACT_FIELDS,
        ONE_CLICK=ONE_CLICK,
        reopen_request=reopen_request,
        erasable=user.kind == "admin" and erasable(case),
        replies=console.replies.for_case(case["tenant"], case["category"]),
        organizations=tenant.organizations if tenant else (),
        categories=tenant.categories if tenant else (),
        kinds=triage.KINDS,
        on_call=await on_call_panel(console, case),
        failure=failure,
        registered=console.request.query_params.get("registrata") == "1",
        done=console.request.query_params.get("fatto"),
    )


def offered_forms(
    user: StaffUser, case: dict[str, Any], procedure_steps: Collection[str], reopen_asked: bool
) -> tuple[list[str], list[str]]:
    """The lifecycle's steps and the other acts whose forms the case page shows to `user`: those
    possible in the case's status for the user's role; the procedures' by procedures.yaml."""
    status, organization = case["status"], case.get("organization")
    actions = [
        a
        for a in user.actions(status, organization)
        # while the citizen's request waits, reopening is offered beside declining, in its panel
        if not (reopen_asked and a == "reopen")
        and (a != "classify" or case["category"] == UNCLASSIFIED)
        and (a != "recategorise" or case["category"] != UNCLASSIFIED)
    ]
    acts = [
        a
        for a in user.acts(status, organization)
        if a not in PROCEDURE_FIELDS or a in procedure_steps  # by procedures.yaml
    ]
    return actions, acts


def pending_reopen_request(case: dict[str, Any]) -> dict[str, Any] | None:
    """The citizen's request to reopen, while the URP has not decided (the last word of the
    timeline among asking, reopening and declining)."""
    if case["status"] != "closed":
        return None
    decisions = ("reopen_requested", "reopened", "reopen_declined")
    last = next((t for t in reversed(case["timeline"]) if t["event"] in decisions), None)
    return last if last is not None and last["event"] == "reopen_requested" else None


def erasable(case: dict[str, Any]) -> bool:
    return case["status"] in ("closed", "rejected") and not case.get("personal_data_erased_at")


async def optional(console: Console, service: str, path: str) -> Any:
    """What another service knows of the case; None when it has nothing yet or is down."""
    try:
        return await console.get(service, path)
    except (Refused, Unavailable):
        return None
