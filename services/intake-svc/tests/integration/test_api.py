"""intake-svc's HTTP API on the live app, with a real NATS, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import nats
import pytest
from sportello_contracts import CloudEvent

from .conftest import REGISTRATION, this_year


async def test_registering_a_case_answers_201_with_a_reference(client: httpx.AsyncClient) -> None:
    response = await client.post("/cases", json=REGISTRATION)
    assert response.status_code == 201, response.text
    body = response.json()
    # received in 2025, registered now: the reference carries the registration's year
    assert body["reference"] == f"TO-{this_year()}-000001"
    assert body["status"] == "received"
    assert response.headers["location"] == f"/cases/{body['case_id']}"

    second = await client.post("/cases", json=REGISTRATION)
    assert second.json()["reference"] == f"TO-{this_year()}-000002"


async def test_the_received_event_is_published_on_the_bus(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    case_id = (await client.post("/cases", json=REGISTRATION)).json()["case_id"]
    nc = await nats.connect(servers=[nats_url])
    try:
        js = nc.jetstream()
        for _ in range(50):
            try:
                msg = await js.get_last_msg("CASES", "cases.torino.unassigned.received")
                break
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.1)
        event = CloudEvent.from_bytes(msg.data)
    finally:
        await nc.close()
    assert event.type == "it.sportello.case.received.v2"
    assert event.subject == case_id
    assert event.id == f"{case_id}:1"
    assert event.data["reference"] == f"TO-{this_year()}-000001"
    # the facts, nothing personal: who asked and what they wrote stay in intake's store
    assert not {"citizen", "description", "location", "attachments"} & set(event.data)
    assert REGISTRATION["citizen"]["name"] not in msg.data.decode()


async def test_the_same_idempotency_key_gives_the_same_case(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "call-4711"}
    first = await client.post("/cases", json=REGISTRATION, headers=headers)
    again = await client.post("/cases", json=REGISTRATION, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["case_id"] == again.json()["case_id"]
    assert first.json()["reference"] == again.json()["reference"]


# Each invalid registration: what was changed, and the field the problem must name.
INVALID_REGISTRATIONS: list[tuple[dict[str, Any], str]] = [
    ({"citizen": {"name": "Anonimo"}}, "citizen"),
    ({"tenant": "atlantide"}, "tenant"),
    ({"category": "nonexistent"}, "category"),
    ({"location": {"lat": 95.0, "lon": 7.68}}, "location.lat"),
    ({"received_at": "2999-01-01T00:00:00+01:00"}, "received_at"),
    ({"description": "x" * 4001}, "description"),
    ({"channel": "pigeon"}, "channel"),
]


async def test_invalid_registrations_get_a_problem_naming_the_field(
    client: httpx.AsyncClient, subtests: pytest.Subtests
) -> None:
    for change, field in INVALID_REGISTRATIONS:
        with subtests.test(msg=field, change=change):
            response = await client.post("/cases", json=REGISTRATION | change)
            assert response.status_code in (400, 422)
            assert response.headers["content-type"] == "application/problem+json"
            assert field.split(".")[0] in response.text


async def test_office_commands_follow_the_lifecycle(client: httpx.AsyncClient) -> None:
    case_id = (await client.post("/cases", json=REGISTRATION)).json()["case_id"]

    refused = await client.post(f"/cases/{case_id}/take-in-charge", json={"operator": "anna"})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == (
        "la pratica è ricevuta, in attesa di assegnazione: non si può prenderla in carico; "
        "ora è possibile: respingerla (reject)"
    )
    assert refused.json()["case_status"] == "received"
    assert refused.json()["possible_steps"] == ["reject"]
    english = await client.post(
        f"/cases/{case_id}/close",
        json={"outcome": "fatto"},
        headers={"accept-language": "en-GB,en;q=0.8"},
    )
    assert english.json()["detail"] == (
        "the case is received, waiting to be assigned: you cannot close it; "
        "possible now: reject it (reject)"
    )

    missing = await client.get("/cases/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


async def test_ops_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"nats": True, "store": True}
    assert "sportello_relay_published_total" in (await client.get("/metrics")).text


async def test_an_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    huge = REGISTRATION | {"description": "x" * 100_000}
    response = await client.post("/cases", json=huge)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_body_that_is_not_json_is_refused_with_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/cases", content="tenant=torino", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["title"] == "Formato non supportato"  # Italian unless asked
    english = await client.post(
        "/cases",
        content="tenant=torino",
        headers={"content-type": "text/plain", "accept-language": "en"},
    )
    assert english.json()["title"] == "Unsupported media type"


async def test_invalid_json_is_a_problem_not_a_crash(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/cases", content=b'{"tenant": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_malformed_case_id_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/cases/not-a-uuid")
    assert response.status_code == 422
    assert "case_id" in response.json()["detail"]


async def test_an_unknown_category_lists_the_tenants_categories(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/cases", json=REGISTRATION | {"category": "astronavi"}, headers={"accept-language": "en"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "category" and "decoro_pulizia" in problem["categories"]
    assert problem["detail"].startswith("Comune di Torino has no category 'astronavi'; its")
    assert "decoro_pulizia" in problem["detail"]
