"""Torino's operators identify themselves by a code (the token's `operator_code` claim): every
command records it with the subject as the actor, the case's history shows it and the events
published on the bus carry it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from sportello_devstack.issuer import DevIssuer
from sportello_intake.main import build

from .conftest import REGISTRATION, eventually, settings_for
from .test_lifecycle_and_search import assign

CODED = "anna@to (OP-0427)"


@pytest.fixture
async def secured(
    issuer: DevIssuer,  # noqa: ARG001 (it sets AUTH_* before the app reads them)
    store: dict[str, str],
    nats_url: str,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = build(settings_for(store, nats_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield app, client


async def test_the_operator_code_is_recorded_shown_and_published_on_every_command(
    secured: tuple[FastAPI, httpx.AsyncClient], issuer: DevIssuer, nats_url: str
) -> None:
    _, client = secured
    token = issuer.token(
        "operator", "torino", subject="anna@to", extra={"operator_code": "OP-0427"}
    )
    anna = {"Authorization": f"Bearer {token}"}
    nc = await nats.connect(servers=[nats_url])
    published: list[dict[str, Any]] = []

    async def keep(msg: Any) -> None:
        published.append(json.loads(msg.data))

    await nc.subscribe("cases.torino.>", cb=keep)
    try:
        created = await client.post("/cases", json=REGISTRATION, headers=anna)
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        await assign(nats_url, created.json(), "pm-reparto-5", 1)

        async def assigned() -> bool:
            view = (await client.get(f"/cases/{case_id}", headers=anna)).json()
            return bool(view["status"] == "assigned")

        await eventually(assigned)
        for step, body in [
            ("take-in-charge", {"operator": "someone-else"}),
            ("contact", {"means": "phone", "note": "richiamata"}),
            ("close", {"outcome": "Cassonetti svuotati"}),
        ]:
            done = await client.post(f"/cases/{case_id}/{step}", json=body, headers=anna)
            assert done.status_code == 200, (step, done.text)

        timeline = (await client.get(f"/cases/{case_id}", headers=anna)).json()["timeline"]
        staff = [(e["event"], e["actor"]) for e in timeline if e["event"] != "assigned"]
        assert staff == [
            ("received", CODED),
            ("taken_in_charge", CODED),
            ("citizen_contacted", CODED),
            ("closed", CODED),
        ]

        def ours() -> dict[str, dict[str, Any]]:
            return {
                e["type"].split(".")[3]: e["data"]
                for e in published
                if e.get("subject") == case_id and e["type"].startswith("it.sportello.case.")
            }

        async def all_published() -> bool:
            await asyncio.sleep(0)
            return {"received", "taken_in_charge", "citizen_contacted", "closed"} <= set(ours())

        await eventually(all_published)
        events = ours()
        for name in ("received", "taken_in_charge", "citizen_contacted", "closed"):
            assert events[name]["actor"] == CODED, name
        assert events["taken_in_charge"]["operator"] == CODED
    finally:
        await nc.close()
