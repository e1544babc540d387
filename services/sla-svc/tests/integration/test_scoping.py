"""With authentication on, a case's clocks and the breaches are shown only to whom they concern."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_devstack.issuer import DevIssuer
from sportello_sla.main import SlaSettings, build

from .conftest import assigned, clock_with_status, publish, received


@pytest.fixture
async def secured(
    issuer: DevIssuer,
    store: dict[str, str],
    nats_url: str,
) -> AsyncIterator[httpx.AsyncClient]:
    overrides: dict[str, Any] = {"NATS_URL": nats_url, "SLA_SWEEP_INTERVAL": 0.2, **store}
    app: FastAPI = build(SlaSettings(**overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        admin = {"Authorization": f"Bearer {issuer.token('admin')}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sla", headers=admin
        ) as client:
            yield client


def bearer(issuer: DevIssuer, role: str, tenant: str, organization: str | None = None) -> Any:
    return {"Authorization": f"Bearer {issuer.token(role, tenant, organization)}"}


async def test_clocks_and_breaches_stay_within_tenant_and_organization(
    secured: httpx.AsyncClient, js: JetStreamContext, issuer: DevIssuer
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=60)
    pisa_case, torino_case = str(uuid4()), str(uuid4())
    await publish(js, "pisa", received(pisa_case, long_ago))
    await publish(js, "pisa", assigned(pisa_case, "pisamo", long_ago), organization="pisamo")
    await publish(js, "torino", received(torino_case, long_ago))
    await clock_with_status(secured, pisa_case, "answer_30d", "breached")
    await clock_with_status(secured, torino_case, "first_contact_5wd", "breached")

    clocks = f"/cases/{pisa_case}/clocks"
    assert (
        await secured.get(clocks, headers=bearer(issuer, "operator", "pisa"))
    ).status_code == 200
    pisamo = bearer(issuer, "partner", "pisa", "pisamo")
    assert (await secured.get(clocks, headers=pisamo)).status_code == 200
    sepi = bearer(issuer, "partner", "pisa", "sepi")
    assert (await secured.get(clocks, headers=sepi)).status_code == 403
    torino = bearer(issuer, "operator", "torino")
    assert (await secured.get(clocks, headers=torino)).status_code == 403

    def cases_in(response: httpx.Response) -> set[str]:
        assert response.status_code == 200, response.text
        return {b["case_id"] for b in response.json()}

    everything = cases_in(await secured.get("/breaches"))
    assert {pisa_case, torino_case} <= everything
    # No tenant asked: an operator still sees only its own tenant, a partner only its cases.
    assert torino_case in cases_in(await secured.get("/breaches", headers=torino))
    assert pisa_case not in cases_in(await secured.get("/breaches", headers=torino))
    assert cases_in(await secured.get("/breaches", headers=pisamo)) == {pisa_case}
    assert cases_in(await secured.get("/breaches", headers=sepi)) == set()
    other = await secured.get("/breaches", params={"organization": "pisamo"}, headers=sepi)
    assert other.status_code == 403
