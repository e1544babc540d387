"""Whoever a body names, every command is recorded as the token's subject (the audit actor)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sportello_devstack.issuer import DevIssuer
from sportello_intake.main import IntakeSettings, build

from .conftest import REGISTRATION, ROOT, eventually
from .test_casale_procedures import casale_steps_by_token
from .test_lifecycle_and_search import assign

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Routes that record no actor, and why.
EXEMPT = {
    ("POST", "/admin/dlq/{sequence}/redrive"): "republishes a message, records no command",
    ("POST", "/open311/v2/requests.{format}"): "public: the actor is the Open311 key's client",
    ("POST", "/cases/queries/by-contact"): "a query: POST keeps the contact out of the URL",
    ("POST", "/cases/queries/duplicates"): "a query: POST keeps the contact out of the URL",
    ("POST", "/attachments/cases/{case_id}"): "stores a file: the step naming it records who",
}
COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("take-in-charge", {"operator": "mallory"}),
    ("contact", {"means": "phone", "note": "richiamata", "actor": "mallory"}),
    ("wait-for-citizen", {"request": "una foto", "actor": "mallory"}),
    ("resume", {"actor": "mallory"}),
    ("resolve", {"outcome": "Svuotati", "actor": "mallory"}),
    ("close", {"outcome": "Cassonetti svuotati", "actor": "mallory"}),
    ("reopen", {"reason": "Di nuovo pieni", "actor": "mallory"}),
    ("take-in-charge", {"operator": "mallory"}),
    ("request-reassignment", {"reason": "non è nostro", "actor": "mallory"}),
]
AFTER_REASSIGNMENT = [
    ("take-in-charge", {"operator": "mallory"}),
    ("close", {"outcome": "Chiuso di nuovo", "actor": "mallory"}),
]


def mutating_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every state-changing operation the service publishes in its OpenAPI, but the citizens'
    site's: it signs in with its platform key, not a staff token, and the citizen is the one who
    acts there (test_citizen_api.py)."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in MUTATING and not path.startswith("/citizen/")
    }


@pytest.fixture
async def secured(
    issuer: DevIssuer,  # noqa: ARG001 (it sets AUTH_* before the app reads them)
    store: dict[str, str],
    nats_url: str,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = IntakeSettings(
        NATS_URL=nats_url, SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"), **store
    )  # type: ignore[call-arg]
    app = build(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield app, client


async def test_every_command_is_the_token_s_subject_whoever_the_body_names(
    secured: tuple[FastAPI, httpx.AsyncClient], issuer: DevIssuer, nats_url: str
) -> None:
    app, client = secured
    anna = {"Authorization": f"Bearer {issuer.token('operator', 'torino', subject='anna@to')}"}
    dpo = {"Authorization": f"Bearer {issuer.token('admin', subject='dpo@torino')}"}
    covered: set[tuple[str, str]] = set()

    created = await client.post("/cases", json=REGISTRATION, headers=anna)
    assert created.status_code == 201, created.text
    covered.add(("POST", "/cases"))
    case_id = created.json()["case_id"]

    async def assigned() -> bool:
        view = (await client.get(f"/cases/{case_id}", headers=anna)).json()
        return bool(view["status"] == "assigned")

    for seq, commands in enumerate((COMMANDS, AFTER_REASSIGNMENT), start=1):
        await assign(nats_url, created.json(), "pm-reparto-5", seq)
        await eventually(assigned)
        for action, body in commands:
            done = await client.post(f"/cases/{case_id}/{action}", json=body, headers=anna)
            assert done.status_code == 200, (action, done.text)
            covered.add(("POST", f"/cases/{{case_id}}/{action}"))
    # the citizen asks to reopen (through the public site, as its platform); the URP declines
    runtime = app.state.runtime
    await runtime.writer.call(
        runtime.app.request_reopening, UUID(case_id), "Ancora guasto", "citizen:web", None
    )
    declined = await client.post(
        f"/cases/{case_id}/reopen-request/decline",
        json={"reason": "Verificato: risolto", "actor": "mallory"},
        headers=anna,
    )
    assert declined.status_code == 200, declined.text
    covered.add(("POST", "/cases/{case_id}/reopen-request/decline"))
    # a case that came by itself: the triage classifies it
    caller = {"name": "Chiamante 3471234567", "phone": "3471234567"}  # not the erased citizen
    unclassified = REGISTRATION | {"category": "da_classificare", "citizen": caller}
    came = (await client.post("/cases", json=unclassified, headers=anna)).json()["case_id"]
    body = {"category": "decoro_pulizia", "actor": "mallory"}
    classified = await client.post(f"/cases/{came}/classify", json=body, headers=anna)
    assert classified.status_code == 200, classified.text
    covered.add(("POST", "/cases/{case_id}/classify"))
    its_timeline = (await client.get(f"/cases/{came}", headers=anna)).json()["timeline"]
    assert [(e["event"], e["actor"]) for e in its_timeline][-1] == ("classified", "anna@to")
    # back with routing, not yet assigned: the contact centre may still refuse it
    body = {"reason": "fuori competenza", "actor": "mallory"}
    rejected = await client.post(f"/cases/{came}/reject", json=body, headers=anna)
    assert rejected.status_code == 200, rejected.text
    covered.add(("POST", "/cases/{case_id}/reject"))
    its_timeline = (await client.get(f"/cases/{came}", headers=anna)).json()["timeline"]
    assert [(e["event"], e["actor"]) for e in its_timeline][-1] == ("rejected", "anna@to")
    # corrections and communication, on two more cases of the caller's
    first, second = [
        (await client.post("/cases", json=unclassified | {"category": c}, headers=anna)).json()
        for c in ("decoro_pulizia", "qualita_urbana")
    ]
    for seq, case in enumerate((first, second), start=3):
        await assign(nats_url, case, "pm-reparto-5", seq)

    async def both_assigned() -> bool:
        views = [
            (await client.get(f"/cases/{c['case_id']}", headers=anna)).json()
            for c in (first, second)
        ]
        page = (
            await client.get("/cases", params={"reference": first["reference"]}, headers=anna)
        ).json()
        return all(v["status"] == "assigned" for v in views) and page["total"] == 1

    await eventually(both_assigned)
    corrections = [
        (first, "recategorise", {"kind": "reclamo", "category": "convivenza_civile"}),
        (first, "note", {"note": "richiamare dopo le 17"}),
        (first, "schedule-callback", {"note": "richiamare dopo le 17"}),
        (first, "consult", {"question": "di chi è?", "answer": "dell'AMIAT"}),
        (first, "transfer", {"to": "AMIAT, numero verde"}),
        (first, "callback-done", {"means": "phone", "note": "richiamata"}),
        (first, "update-citizen", {"message": "Sopralluogo lunedì"}),
        # the triage-first workflow: the front office forwards, the office answers it
        (first, "take-in-charge", {"operator": "mallory"}),
        (first, "forward", {"to": "pm-reparto-2"}),
        (first, "office-answer", {"answer": "Sentiti i condomini"}),
        (second, "merge", {"duplicate_of": first["reference"]}),
        (first, "dismiss", {"reason": "fuori competenza"}),
    ]
    for case, step, body in corrections:
        done = await client.post(
            f"/cases/{case['case_id']}/{step}", json=body | {"actor": "mallory"}, headers=anna
        )
        assert done.status_code == 200, (step, done.text)
        covered.add(("POST", f"/cases/{{case_id}}/{step}"))
    for case in (first, second):
        its_timeline = (await client.get(f"/cases/{case['case_id']}", headers=anna)).json()[
            "timeline"
        ]
        staff = {e["actor"] for e in its_timeline if e["event"] != "assigned"}
        assert staff == {"anna@to"}, its_timeline
    # Casale's procedures (issue 18 point 6)
    bea = {
        "Authorization": f"Bearer {issuer.token('operator', 'casale-monferrato', subject='bea@cm')}"
    }
    police = issuer.token("office", "casale-monferrato", "polizia-locale", subject="pl@cm")
    pl = {"Authorization": f"Bearer {police}"}
    covered |= await casale_steps_by_token(client, nats_url, (bea, "bea@cm"), (pl, "pl@cm"), 5)
    erased = await client.post(
        "/admin/erasures", json={"case_id": case_id, "actor": "mallory"}, headers=dpo
    )
    assert erased.status_code in (201, 422), erased.text
    if erased.status_code == 422:  # the body may not name an actor at all: ask without it
        erased = await client.post("/admin/erasures", json={"case_id": case_id}, headers=dpo)
        assert erased.status_code == 201, erased.text
    covered.add(("POST", "/admin/erasures"))

    timeline = (await client.get(f"/cases/{case_id}", headers=anna)).json()["timeline"]
    not_staff = ("assigned", "reopen_requested")  # routing's step, the citizen's request
    actors = [(e["event"], e.get("actor")) for e in timeline if e["event"] not in not_staff]
    assert actors[-1] == ("personal_data_erased", "dpo@torino")
    assert {actor for _, actor in actors[:-1]} == {"anna@to"}, actors
    # received, every command, the decline, the erasure
    assert len(actors) == 1 + len(COMMANDS) + len(AFTER_REASSIGNMENT) + 2
    assert mutating_routes(app) == covered | set(EXEMPT)
