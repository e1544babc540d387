"""Whoever a body or query names, every change is recorded as the token's subject."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from nats.js import JetStreamContext
from sportello_devstack.issuer import DevIssuer
from sportello_routing.application import RoutingApplication
from sportello_routing.main import build

from .conftest import nth_decision, receive, settings_for

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT = {
    ("POST", "/admin/dlq/{sequence}/redrive"): "republishes a message, records no command",
    ("POST", "/rules/{tenant}/check"): "checks a rule set, changes nothing",
    ("POST", "/routing/explain"): "says who would handle a case, changes nothing",
}


def mutating_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every state-changing operation the service publishes in its OpenAPI."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in MUTATING
    }


def recorded_actors(application: RoutingApplication) -> list[tuple[str, str]]:
    """(event, actor) of every stored event that names an actor."""
    found = []
    for notification in application.recorder.select_notifications(start=None, limit=10_000):
        event = application.mapper.to_domain_event(notification)
        actor: Any = getattr(event, "actor", None)
        if actor is not None:
            found.append((type(event).__qualname__, str(actor)))
    return found


@pytest.fixture
async def secured(
    issuer: DevIssuer,  # noqa: ARG001 (it sets AUTH_* before the app reads them)
    store: dict[str, str],
    nats_url: str,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app: FastAPI = build(settings_for(store, nats_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://routing") as client:
            yield app, client


async def test_every_change_is_the_token_s_subject_whoever_the_request_names(
    secured: tuple[FastAPI, httpx.AsyncClient], issuer: DevIssuer, js: JetStreamContext
) -> None:
    app, client = secured
    anna = {"Authorization": f"Bearer {issuer.token('operator', 'pisa', subject='anna@pisa')}"}
    covered: set[tuple[str, str]] = set()

    organization = {
        "name": "Acque S.p.A.",
        "kind": "partner",
        "email": "info@acque.example",
        "actor": "mallory",
    }
    put = await client.put("/directory/pisa/organizations/acque", json=organization, headers=anna)
    assert put.status_code == 200, put.text
    covered.add(("PUT", "/directory/{tenant}/organizations/{organization_id}"))

    current = (await client.get("/rules/pisa", headers=anna)).json()
    rules = {k: current[k] for k in ("default", "areas", "rules")}
    extra = {
        "id": "acqua",
        "organization": "acque",
        "categories": ["segnalazioni"],
        "keywords": ["acqua"],
    }
    published = await client.put(
        "/rules/pisa",
        json=rules | {"rules": [extra, *rules["rules"]], "actor": "mallory"},
        headers=anna,
    )
    assert published.status_code == 200 and published.json()["published"], published.text
    covered.add(("PUT", "/rules/{tenant}"))

    exported = yaml.safe_load((await client.get("/routing/pisa/export", headers=anna)).text)
    exported["rules"] = exported["rules"][1:]
    imported = await client.post(
        "/routing/pisa/import",
        params={"actor": "mallory"},
        files={"file": ("routing.yaml", yaml.safe_dump(exported), "application/yaml")},
        headers=anna,
    )
    assert imported.status_code == 200 and imported.json()["published"], imported.text
    covered.add(("POST", "/routing/{tenant}/import"))

    removed = await client.delete(
        "/directory/pisa/organizations/acque", params={"actor": "mallory"}, headers=anna
    )
    assert removed.status_code == 204, removed.text
    covered.add(("DELETE", "/directory/{tenant}/organizations/{organization_id}"))

    case_id = await receive(js, "pisa", "parcheggi")
    await nth_decision(js, case_id, 1)
    move = {"organization": "sepi", "actor": "mallory", "reason": "non è nostro"}
    moved = await client.post(f"/assignments/{case_id}/reassign", json=move, headers=anna)
    assert moved.status_code == 200, moved.text
    assert moved.json()["history"][-1]["actor"] == "anna@pisa"
    covered.add(("POST", "/assignments/{case_id}/reassign"))

    runtime = app.state.runtime
    actors = await runtime.writer.call(recorded_actors, runtime.app)
    by_people = [(event, actor) for event, actor in actors if "@" in actor or actor == "mallory"]
    assert len(by_people) >= 5, actors  # put, publish, import, remove, reassign
    assert {actor for _, actor in by_people} == {"anna@pisa"}, actors
    assert mutating_routes(app) == covered | set(EXEMPT)
