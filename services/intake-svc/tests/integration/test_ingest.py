"""Cases and status reports that platforms and partners publish on `ingest.<tenant>.<source>`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext
from sportello_contracts import EventPayload, wrap
from sportello_contracts.ingest import CaseStatusReported, CaseSubmitted

from .conftest import REGISTRATION, eventually
from .test_lifecycle_and_search import assign, register


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(servers=[nats_url])
    yield nc.jetstream()
    await nc.close()


def submitted(external_id: str = "SEGN-7781", **changes: Any) -> CaseSubmitted:
    fields: dict[str, Any] = {
        "external_id": external_id,
        "kind": "segnalazione",
        "category": "parcheggi",
        "description": "Auto in sosta sul passo carrabile",
        "citizen": {"name": "Paolo Neri", "phone": "+39 050 765432"},
        "received_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    }
    return CaseSubmitted.model_validate(fields | changes)


async def publish(
    js: JetStreamContext, subject: str, payload: EventPayload, tenant: str = "pisa"
) -> None:
    """As a platform would: no Sportello headers, a fresh Msg-Id (or none) every time."""
    envelope = wrap(
        payload,
        aggregate_id="ext",
        aggregate_version=1,
        source="/platform/segnalaci",
        subject=getattr(payload, "case_id", "new"),
        time=datetime.now(UTC),
        tenant=tenant,
        organization="unassigned",
        traceparent=None,
    )
    await js.publish(subject, envelope.to_bytes())


async def cases_of(client: httpx.AsyncClient, tenant: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get("/cases", params={"tenant": tenant})).json()[
        "items"
    ]
    return items


async def test_a_case_published_three_times_becomes_one_case(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    for _ in range(3):
        await publish(js, "ingest.pisa.segnalaci", submitted())

    cases = await eventually(lambda: cases_of(client, "pisa"))
    await publish(js, "ingest.pisa.segnalaci", submitted("SEGN-7782"))
    await eventually(lambda: _count(client, "pisa", 2))
    assert len(await cases_of(client, "pisa")) == 2
    case = (await client.get(f"/cases/{cases[0]['case_id']}")).json()
    assert case["channel"] == "platform"
    assert case["timeline"][0]["actor"] == "platform:segnalaci"


async def _count(client: httpx.AsyncClient, tenant: str, n: int) -> bool:
    return len(await cases_of(client, tenant)) == n


async def test_a_malformed_submission_is_dead_lettered_then_redriven_after_correction(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    await publish(js, "ingest.pisa.segnalaci", submitted(category="astronavi"))

    letters = await eventually(lambda: _dead_letters(client))
    assert "unknown category 'astronavi'" in letters[0]["reason"]
    corrected = json.loads(letters[0]["body"])
    corrected["data"]["category"] = "parcheggi"
    response = await client.post(f"/admin/dlq/{letters[0]['sequence']}/redrive", json=corrected)
    assert response.status_code == 200, response.text

    cases = await eventually(lambda: cases_of(client, "pisa"))
    assert cases[0]["category"] == "parcheggi"
    assert (await client.get("/admin/dlq")).json() == []


async def _dead_letters(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    letters: list[dict[str, Any]] = (await client.get("/admin/dlq")).json()
    return letters


async def test_a_submission_for_another_tenant_than_its_subject_is_refused(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    await publish(js, "ingest.pisa.segnalaci", submitted(), tenant="torino")
    letters = await eventually(lambda: _dead_letters(client))
    assert "envelope tenant 'torino' is not 'pisa'" in letters[0]["reason"]


async def test_the_handling_partner_reports_progress_and_others_are_refused(
    client: httpx.AsyncClient, js: JetStreamContext, nats_url: str
) -> None:
    case = await register(client, tenant="pisa", category="parcheggi")
    await assign(nats_url, case, "pisamo", 1)

    async def assigned() -> bool:
        return bool((await client.get(f"/cases/{case['case_id']}")).json()["status"] == "assigned")

    await eventually(assigned)
    report = CaseStatusReported(
        case_id=case["case_id"], status="taken_in_charge", operator="pisamo-op"
    )
    await publish(js, "ingest.pisa.sepi", report)  # SEPI does not handle this case
    await publish(js, "ingest.pisa.pisamo", report)
    await publish(js, "ingest.pisa.pisamo", report)  # said twice: nothing new

    async def taken() -> dict[str, Any] | None:
        view: dict[str, Any] = (await client.get(f"/cases/{case['case_id']}")).json()
        return view if view["status"] == "taken_in_charge" else None

    view = await eventually(taken)
    assert [e["event"] for e in view["timeline"]].count("taken_in_charge") == 1
    letters = await eventually(lambda: _dead_letters(client))
    assert "sepi does not handle case" in letters[0]["reason"]
    assert REGISTRATION["tenant"] == "torino"  # the shared body is untouched
