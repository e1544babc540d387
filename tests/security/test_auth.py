"""Ops APIs: no token → 401, someone else's tenant or organization → 403, tokens checked fully."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sportello_devstack.issuer import DevIssuer
from sportello_intake.main import IntakeSettings, build

ROOT = Path(__file__).parents[2]
CASE: dict[str, Any] = {
    "tenant": "pisa",
    "kind": "reclamo",
    "channel": "phone",
    "category": "parcheggi",
    "description": "Parcometro guasto",
    "citizen": {"name": "Giulia Bianchi", "email": "giulia.bianchi@example.org"},
}


@pytest.fixture
async def client(
    issuer: DevIssuer,  # noqa: ARG001 (it sets AUTH_* before the app reads them)
    tmp_path: Path,
    nats_url: str,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = IntakeSettings(  # type: ignore[call-arg]
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        SPORTELLO_DATA_DIR=str(tmp_path / "data"),
    )
    app: FastAPI = build(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_without_a_token_the_ops_api_answers_401_but_health_stays_open(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/cases", json=CASE)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/cases")).status_code == 401
    assert (await client.get("/admin/dlq")).status_code == 401
    for open_path in ("/healthz", "/readyz", "/metrics"):
        assert (await client.get(open_path)).status_code == 200


async def test_an_operator_works_in_its_own_tenant_only(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    pisa = bearer(issuer.token("operator", "pisa", subject="anna@pisa"))
    torino = bearer(issuer.token("operator", "torino"))

    created = await client.post("/cases", json=CASE, headers=pisa)
    assert created.status_code == 201
    case_id = created.json()["case_id"]
    assert created.json()["timeline"][0]["actor"] == "anna@pisa"  # audit: the token's subject

    assert (await client.post("/cases", json=CASE, headers=torino)).status_code == 403
    assert (await client.get(f"/cases/{case_id}", headers=torino)).status_code == 403
    assert (await client.get(f"/cases/{case_id}", headers=pisa)).status_code == 200


async def test_an_office_sees_its_organizations_cases_only(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    operator = bearer(issuer.token("operator", "pisa"))
    case_id = (await client.post("/cases", json=CASE, headers=operator)).json()["case_id"]
    sepi = bearer(issuer.token("office", "pisa", "sepi"))
    assert (await client.get(f"/cases/{case_id}", headers=sepi)).status_code == 403
    page = (await client.get("/cases", params={"tenant": "pisa"}, headers=sepi)).json()
    assert page["total"] == 0  # its search is scoped to its own organization


async def test_auditors_read_but_do_not_act_and_admin_routes_need_admin(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    auditor = bearer(issuer.token("auditor"))
    assert (await client.get("/cases", headers=auditor)).status_code == 200
    assert (await client.post("/cases", json=CASE, headers=auditor)).status_code == 403
    operator = bearer(issuer.token("operator", "pisa"))
    assert (await client.get("/admin/dlq", headers=operator)).status_code == 403
    assert (
        await client.get("/admin/dlq", headers=bearer(issuer.token("admin")))
    ).status_code == 200


async def test_expired_foreign_and_misaddressed_tokens_are_refused(
    client: httpx.AsyncClient, issuer: DevIssuer, tmp_path: Path
) -> None:
    expired = issuer.token("operator", "pisa", ttl_seconds=-3600)
    stranger = DevIssuer(tmp_path / "stranger").token("admin")  # signed with another key
    claims = jwt.decode(issuer.token("admin"), options={"verify_signature": False})
    key = issuer.key_file.read_bytes()
    header = {"kid": jwt.get_unverified_header(issuer.token("admin"))["kid"]}
    wrong_audience = jwt.encode(claims | {"aud": "someone-else"}, key, "ES256", headers=header)
    no_roles = jwt.encode(claims | {"roles": []}, key, "ES256", headers=header)
    hs256 = jwt.encode(claims, "a-shared-secret-long-enough-for-hs256!", "HS256", headers=header)

    for token in (expired, stranger, wrong_audience, hs256, "not-a-jwt"):
        assert (await client.get("/cases", headers=bearer(token))).status_code == 401, token
    assert (await client.get("/cases", headers=bearer(no_roles))).status_code == 403


async def test_a_tenant_in_the_query_must_be_the_tokens_own(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    torino = bearer(issuer.token("operator", "torino"))
    assert (
        await client.get("/cases", params={"tenant": "pisa"}, headers=torino)
    ).status_code == 403
    assert (
        await client.get("/cases", params={"tenant": "torino"}, headers=torino)
    ).status_code == 200


@pytest.mark.parametrize("service", ["routing", "sla", "notify"])
async def test_every_service_wants_a_token_and_keeps_tenants_apart(
    service: str, issuer: DevIssuer, tmp_path: Path, nats_url: str
) -> None:
    main = importlib.import_module(f"sportello_{service}.main")
    settings_class = next(
        getattr(main, name)
        for name in dir(main)
        if name.endswith("Settings") and name != "ServiceSettings"
    )
    settings = settings_class(
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        SPORTELLO_DATA_DIR=str(tmp_path / "data"),
    )
    app: FastAPI = main.build(settings)
    paths = {
        "routing": "/rules/pisa",
        "sla": "/calendar/pisa?from=2026-06-01&to=2026-06-30",
        "notify": "/surveys/summary?tenant=pisa&from=2026-01-01&to=2026-12-31",
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as c:
            path = paths[service]
            assert (await c.get(path)).status_code == 401
            torino = bearer(issuer.token("operator", "torino"))
            assert (await c.get(path, headers=torino)).status_code == 403
            pisa = bearer(issuer.token("operator", "pisa"))
            assert (await c.get(path, headers=pisa)).status_code == 200
            assert (await c.get("/admin/dlq", headers=pisa)).status_code == 403


async def test_the_citizen_answers_a_survey_without_a_token_but_cannot_hammer_it(
    issuer: DevIssuer,  # noqa: ARG001 (authentication is on)
    tmp_path: Path,
    nats_url: str,
) -> None:
    from sportello_notify.main import NotifySettings
    from sportello_notify.main import build as build_notify

    settings = NotifySettings(  # type: ignore[call-arg]
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        SPORTELLO_DATA_DIR=str(tmp_path / "data"),
    )
    app: FastAPI = build_notify(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as c:
            # The survey token is the credential: an unknown one is 404, never 401.
            statuses = [
                (await c.post(f"/surveys/{'x' * 24}", json={"rating": 4})).status_code
                for _ in range(15)
            ]
            assert statuses[0] == 404
            assert 429 in statuses and set(statuses) == {404, 429}
            # The office's summary still needs a token.
            summary = "/surveys/summary?tenant=pisa&from=2026-01-01&to=2026-12-31"
            assert (await c.get(summary)).status_code == 401
