"""Office commands over HTTP, routing's decisions from the bus, and the operators' search."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest
from sportello_contracts import wrap
from sportello_contracts.cases import CaseAssigned, Channel
from sportello_shared.bus import headers

from .conftest import REGISTRATION, eventually


async def register(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/cases", json=REGISTRATION | changes)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def assign(nats_url: str, case: dict[str, Any], organization: str, seq: int) -> None:
    now = datetime.now(UTC)
    payload = CaseAssigned(
        case_id=case["case_id"],
        reference=case["reference"],
        occurred_at=now,
        organization=organization,
        organization_name=f"Ufficio {organization}",
        rule_id="category:decoro_pulizia",
        rule_version=1,
        reasons=["test"],
    )
    envelope = wrap(
        payload,
        aggregate_id="assignment-" + case["case_id"],
        aggregate_version=seq,
        source="/test",
        subject=case["case_id"],
        time=now,
        tenant=case["tenant"],
        organization=organization,
        traceparent=None,
    )
    nc = await nats.connect(servers=[nats_url])
    await nc.jetstream().publish(
        f"cases.{case['tenant']}.{organization}.assigned",
        envelope.to_bytes(),
        headers={
            headers.MSG_ID: envelope.id,
            headers.PRODUCER: "routing",
            headers.NOTIFICATION_ID: str(seq),
        },
    )
    await nc.close()


async def test_a_case_goes_from_received_to_closed_and_reopened(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    case = await register(client)
    case_id = case["case_id"]
    await assign(nats_url, case, "pm-reparto-5", 1)

    async def assigned() -> bool:
        return (await client.get(f"/cases/{case_id}")).json()["status"] == "assigned"

    await eventually(assigned)
    steps = [
        ("take-in-charge", {"operator": "anna"}, "taken_in_charge"),
        ("contact", {"means": "phone", "note": "richiamata", "actor": "anna"}, "citizen_contacted"),
        ("wait-for-citizen", {"request": "una foto", "actor": "anna"}, "waiting_for_citizen"),
        ("resume", {"actor": "anna"}, "citizen_contacted"),
        ("resolve", {"outcome": "Svuotati", "actor": "anna"}, "resolved"),
        ("close", {"outcome": "Cassonetti svuotati il 6/12", "actor": "anna"}, "closed"),
        ("reopen", {"reason": "Di nuovo pieni", "actor": "maria"}, "reopened"),
    ]
    for action, body, status in steps:
        response = await client.post(f"/cases/{case_id}/{action}", json=body)
        assert response.status_code == 200, (action, response.text)
        assert response.json()["status"] == status

    view = (await client.get(f"/cases/{case_id}")).json()
    assert view["organization"] == "pm-reparto-5"
    assert view["organization_name"] == "Ufficio pm-reparto-5"
    assert [e["event"] for e in view["timeline"]] == [
        "received",
        "assigned",
        "taken_in_charge",
        "citizen_contacted",
        "waiting_for_citizen",
        "resumed",
        "resolved",
        "closed",
        "reopened",
    ]


async def test_a_refused_command_is_a_409_problem_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    case = await register(client)
    response = await client.post(f"/cases/{case['case_id']}/close", json={"outcome": "x"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/cases/{case['case_id']}")).json()["status"] == "received"


async def test_an_occurrence_before_the_previous_event_is_refused(
    client: httpx.AsyncClient,
) -> None:
    case = await register(client, received_at="2026-01-10T10:00:00+01:00")
    response = await client.post(
        f"/cases/{case['case_id']}/request-reassignment",
        json={"reason": "x", "occurred_at": "2026-01-09T10:00:00+01:00"},
    )
    assert response.status_code == 409


async def test_an_emergency_is_recorded_as_rejected_with_its_reason(
    client: httpx.AsyncClient,
) -> None:
    case = await register(client, out_of_scope="emergenza: chiamare il 112")
    assert case["status"] == "rejected"
    assert case["timeline"][-1]["reason"] == "emergenza: chiamare il 112"


async def test_every_channel_is_accepted(
    client: httpx.AsyncClient, subtests: pytest.Subtests
) -> None:
    for channel in (c.value for c in Channel):
        with subtests.test(msg=channel):
            case = await register(client, channel=channel)
            assert case["channel"] == channel


async def test_search_filters_and_pages(client: httpx.AsyncClient) -> None:
    for n in range(3):
        await register(client, received_at=f"2026-02-0{n + 1}T10:00:00+01:00")
    await register(client, tenant="pisa", category="parcheggi")

    async def all_indexed() -> bool:
        return bool((await client.get("/cases")).json()["total"] == 4)

    await eventually(all_indexed)
    page = (await client.get("/cases", params={"tenant": "torino"})).json()
    assert page["total"] == 3
    assert [c["received_at"][:10] for c in page["items"]] == [
        "2026-02-03",
        "2026-02-02",
        "2026-02-01",
    ]

    window = await client.get(
        "/cases",
        params={"tenant": "torino", "from": "2026-02-02T00:00:00+01:00", "limit": 1, "offset": 1},
    )
    assert window.json()["total"] == 2 and len(window.json()["items"]) == 1
    assert (
        await client.get("/cases", params={"status": "received", "category": "parcheggi"})
    ).json()["total"] == 1
    assert (await client.get("/cases", params={"limit": 1000})).status_code == 422
    assert (await client.get("/cases", params={"status": "lost"})).status_code == 422


async def test_the_assigned_organization_gets_the_case_file_on_its_own_subject(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    case = await register(client)
    await assign(nats_url, case, "pm-reparto-5", 1)
    nc = await nats.connect(servers=[nats_url])
    try:
        js = nc.jetstream()

        async def handed_over() -> Any:
            try:
                return await js.get_last_msg("CASES", "cases.torino.pm-reparto-5.handed_over")
            except nats.js.errors.NotFoundError:
                return None

        msg = await eventually(handed_over)
        data = json.loads(msg.data)["data"]
        assert data["case_id"] == case["case_id"] and data["organization"] == "pm-reparto-5"
        # the event says the case is theirs; the dossier they ask intake for (subject = who)
        assert "citizen" not in data and "description" not in data
        assert REGISTRATION["citizen"]["email"] not in msg.data.decode()
        request = json.dumps({"case_id": case["case_id"]}).encode()
        ours = json.loads((await nc.request("personal.torino.pm-reparto-5", request, 5)).data)
        theirs = json.loads((await nc.request("personal.torino.pm-reparto-1", request, 5)).data)
        routing = json.loads((await nc.request("personal.torino.routing", request, 5)).data)
        other_tenant = json.loads((await nc.request("personal.pisa.routing", request, 5)).data)
    finally:
        await nc.close()
    assert ours["citizen"]["email"] == REGISTRATION["citizen"]["email"]
    assert ours["description"] == REGISTRATION["description"]
    assert theirs["error"] == "not_yours" and REGISTRATION["description"] not in str(theirs)
    assert routing["description"] == REGISTRATION["description"] and "citizen" not in routing
    assert other_tenant["error"] == "not_found"
    dossier = (await client.get(f"/cases/{case['case_id']}/dossier")).json()
    assert dossier["citizen"]["email"] == REGISTRATION["citizen"]["email"]
