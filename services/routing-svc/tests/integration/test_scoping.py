"""With authentication on, a case's assignment is shown and changed only by whom it concerns."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_devstack.issuer import DevIssuer
from sportello_routing.main import build

from .conftest import nth_decision, receive, settings_for


@pytest.fixture
async def secured(
    issuer: DevIssuer, store: dict[str, str], nats_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, DevIssuer]]:
    app: FastAPI = build(settings_for(store, nats_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://routing") as client:
            yield client, issuer


async def test_an_assignment_is_for_its_tenant_and_its_organization(
    secured: tuple[httpx.AsyncClient, DevIssuer], js: JetStreamContext
) -> None:
    client, issuer = secured
    case_id = await receive(js, "pisa", "parcheggi")
    await nth_decision(js, case_id, 1)

    def as_(role: str, tenant: str, organization: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.token(role, tenant, organization)}"}

    path = f"/assignments/{case_id}"
    assert (await client.get(path, headers=as_("operator", "pisa"))).status_code == 200
    assert (await client.get(path, headers=as_("partner", "pisa", "pisamo"))).status_code == 200
    assert (await client.get(path, headers=as_("partner", "pisa", "sepi"))).status_code == 403
    assert (await client.get(path, headers=as_("operator", "torino"))).status_code == 403

    move = {"organization": "sepi", "actor": "someone", "reason": "not ours"}
    refused = await client.post(f"{path}/reassign", json=move, headers=as_("operator", "torino"))
    assert refused.status_code == 403
    assert (await client.get(path, headers=as_("operator", "pisa"))).json()["organization"] == (
        "pisamo"
    )
    moved = await client.post(f"{path}/reassign", json=move, headers=as_("operator", "pisa"))
    assert moved.status_code == 200 and moved.json()["organization"] == "sepi"
