"""The triage classifies a case that came by itself (`da_classificare`): category checked against
the tenant's catalogue, identity completed, audited as the token's subject, published without
anything personal; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from sportello_contracts import CloudEvent
from sportello_devstack.issuer import DevIssuer

from .conftest import eventually, settings_for

CALLER = {"name": "Chiamante 3471234567", "phone": "3471234567"}
VOICEMAIL: dict[str, Any] = {
    "tenant": "torino",
    "kind": "segnalazione",
    "channel": "voicemail",
    "category": "da_classificare",
    "description": "[PBX]: New message 1 in mailbox 100",
    "citizen": CALLER,
}


@pytest.fixture
async def secured(
    issuer: DevIssuer,  # noqa: ARG001 (it sets AUTH_* before the app reads them)
    store: dict[str, str],
    nats_url: str,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    from sportello_intake.main import build

    app = build(settings_for(store, nats_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield app, client


def bearer(issuer: DevIssuer, role: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(role, 'torino', **claims)}"}


async def published(nats_url: str, subject: str) -> CloudEvent:
    nc = await nats.connect(servers=[nats_url])
    try:
        js = nc.jetstream()
        for _ in range(100):
            try:
                msg = await js.get_last_msg("CASES", subject)
                return CloudEvent.from_bytes(msg.data)
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.1)
        raise AssertionError(f"nothing published on {subject}")
    finally:
        await nc.close()


async def test_the_call_taker_classifies_a_voicemail_and_completes_who_called(
    secured: tuple[FastAPI, httpx.AsyncClient], issuer: DevIssuer, nats_url: str
) -> None:
    _, client = secured
    anna = bearer(issuer, "operator", subject="anna@contact-center")
    received_at = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    created = await client.post(
        "/cases", json=VOICEMAIL | {"received_at": received_at}, headers=anna
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    classify = f"/cases/{case_id}/classify"
    unknown = await client.post(classify, json={"category": "ufo"}, headers=anna)
    assert unknown.status_code == 422
    assert "decoro_pulizia" in unknown.json()["categories"]
    again_unclassified = await client.post(
        classify, json={"category": "da_classificare"}, headers=anna
    )
    assert again_unclassified.status_code == 422  # not one of the tenant's categories
    office = bearer(issuer, "office", organization="pm-reparto-5", subject="olga@reparto5")
    refused = await client.post(classify, json={"category": "decoro_pulizia"}, headers=office)
    assert refused.status_code == 403

    body = {
        "category": "reclami_polizia_municipale",
        "kind": "reclamo",
        "citizen": {"name": "Franca Gialli", "email": "franca.gialli@example.org"},
        "actor": "mallory",  # the body cannot say who acted: the token does
    }
    done = await client.post(classify, json=body, headers=anna)
    assert done.status_code == 200, done.text
    view = done.json()
    assert (view["category"], view["kind"]) == ("reclami_polizia_municipale", "reclamo")
    view = (await client.get(f"/cases/{case_id}", headers=anna)).json()
    assert view["citizen"] == {
        "name": "Franca Gialli",
        "phone": "3471234567",
        "email": "franca.gialli@example.org",
        "language": "it",
    }
    [entry] = [e for e in view["timeline"] if e["event"] == "classified"]
    assert entry["actor"] == "anna@contact-center" and entry["identity_completed"] is True
    assert entry["category"] == "reclami_polizia_municipale"

    twice = await client.post(classify, json=body, headers=anna)
    assert twice.status_code == 409
    assert "request-reassignment" in twice.text or "riassegnazione" in twice.text

    event = await published(nats_url, "cases.torino.unassigned.classified")
    assert event.type == "it.sportello.case.classified.v1"
    assert event.subject == case_id
    assert event.data["category"] == "reclami_polizia_municipale"
    assert event.data["previous_category"] == "da_classificare"
    assert event.data["identity_completed"] is True
    assert event.data["actor"] == "anna@contact-center"
    raw = event.to_bytes().decode()
    assert "Franca" not in raw and "franca.gialli" not in raw and "3471234567" not in raw

    # the search follows, and the citizen is found by the contact the call-taker added
    async def indexed() -> bool:
        page = await client.get(
            "/cases", params={"category": "reclami_polizia_municipale"}, headers=anna
        )
        return bool(page.json()["total"] == 1)

    await eventually(indexed)
    found = await client.post(
        "/cases/queries/by-contact", json={"email": "franca.gialli@example.org"}, headers=anna
    )
    assert [c["case_id"] for c in found.json()["items"]] == [case_id]


async def test_only_a_case_in_the_triage_s_hands_is_classified(
    secured: tuple[FastAPI, httpx.AsyncClient], issuer: DevIssuer
) -> None:
    _, client = secured
    anna = bearer(issuer, "operator", subject="anna@contact-center")
    typed_in = VOICEMAIL | {"category": "decoro_pulizia"}
    case_id = (await client.post("/cases", json=typed_in, headers=anna)).json()["case_id"]
    classified = await client.post(
        f"/cases/{case_id}/classify", json={"category": "convivenza_civile"}, headers=anna
    )
    assert classified.status_code == 409  # classified when typed in: reassign it instead
    assert classified.json()["category"] == "decoro_pulizia"

    refused_at_the_door = VOICEMAIL | {"out_of_scope": "emergenza: chiamare il 112"}
    rejected = (await client.post("/cases", json=refused_at_the_door, headers=anna)).json()
    rejected = rejected["case_id"]
    too_late = await client.post(
        f"/cases/{rejected}/classify", json={"category": "convivenza_civile"}, headers=anna
    )
    assert too_late.status_code == 409
    assert too_late.json()["case_status"] == "rejected"
