"""The arithmetic, calendar and report endpoints, and their field-named 4xx answers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
from nats.js import JetStreamContext
from sportello_contracts import cases as c

from .conftest import assigned, clock_with_status, event, publish, received


async def test_compute_a_deadline(client: httpx.AsyncClient) -> None:
    body = {"tenant": "pisa", "standard": "callback_24h", "start": "2026-06-16T18:00:00+02:00"}
    response = await client.post("/deadlines/compute", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["deadline"] == "2026-06-18T18:00:00+02:00"  # 17 June, San Ranieri, excluded
    assert result["policy_version"] == 1 and "esclusi festivi" in result["limit"]
    winter = body | {"standard": "answer_30d", "start": "2026-11-06T10:00:00Z"}
    assert (await client.post("/deadlines/compute", json=winter)).json()["deadline"] == (
        "2026-12-07T23:59:59+01:00"
    )


async def test_bad_input_is_a_problem_naming_the_field(client: httpx.AsyncClient) -> None:
    cases = [
        ({"tenant": "milano", "standard": "answer_30d", "start": "2026-06-16T18:00:00Z"}, "tenant"),
        ({"tenant": "pisa", "standard": "nope", "start": "2026-06-16T18:00:00Z"}, "standard"),
        ({"tenant": "pisa", "standard": "answer_30d", "start": "2026-06-16T18:00:00"}, "start"),
    ]
    for body, field in cases:
        response = await client.post("/deadlines/compute", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
    response = await client.get("/calendar/pisa", params={"from": "2026-06-10", "to": "2026-01-01"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "query.to"
    response = await client.get("/reports/compliance", params={"tenant": "milano"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "query.tenant"


async def test_the_calendar_of_a_comune(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/calendar/torino", params={"from": "2026-06-20", "to": "2026-06-28"}
    )
    assert response.status_code == 200, response.text
    cal = response.json()
    assert cal["patron_saint"] == "06-24"
    assert cal["festivi"] == ["2026-06-21", "2026-06-24", "2026-06-28"]
    assert cal["prefestivi"] == ["2026-06-20", "2026-06-23", "2026-06-27"]
    assert cal["working_days"] == ["2026-06-22", "2026-06-23", "2026-06-25", "2026-06-26"]
    assert {"weekday": 0, "opens": "08:00", "closes": "15:00"} in cal["office_hours"][
        "contact-center"
    ]
    rescaldina = (
        await client.get("/calendar/rescaldina", params={"from": "2026-12-07", "to": "2026-12-08"})
    ).json()
    assert rescaldina["patron_saint"] is None and rescaldina["working_days"] == ["2026-12-07"]


async def test_the_compliance_report_in_three_formats(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    now = datetime.now(UTC)
    met, late = str(uuid4()), str(uuid4())
    tenant = "casale-monferrato"
    await publish(
        js,
        tenant,
        received(met, now - timedelta(days=3), category="attestazione_zone_non_metanizzate"),
    )
    await publish(
        js, tenant, assigned(met, "urbanistica"), organization="urbanistica", producer="routing"
    )
    await publish(
        js, tenant, event(c.CaseClosed, met, now, outcome="ok"), organization="urbanistica"
    )
    await publish(
        js,
        tenant,
        received(late, now - timedelta(days=45), category="attestazione_zone_non_metanizzate"),
    )
    await clock_with_status(client, met, "attestation_30d", "met")
    await clock_with_status(client, late, "attestation_30d", "breached")

    period = {"tenant": tenant, "from": (now - timedelta(days=60)).date().isoformat()}
    report = (await client.get("/reports/compliance", params=period)).json()
    lines = {(s["standard"], s["organization"]): s for s in report["standards"]}
    assert lines[("attestation_30d", "urbanistica")]["met"] == 1
    assert lines[("attestation_30d", "non assegnata")]["breached"] == 1
    assert lines[("forwarding_2wd", "non assegnata")]["compliance_pct"] == 0.0
    # what the URP's dashboard shows: the standard as the Carta names it
    assert lines[("forwarding_2wd", "non assegnata")]["name"].startswith("Inoltro")

    response = await client.get("/reports/compliance", params=period | {"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["standard"] for r in rows} == {"attestation_30d", "forwarding_2wd"}
    html = await client.get("/reports/compliance", params=period | {"format": "html"})
    assert html.headers["content-type"].startswith("text/html") and html.text.count("<svg") == 2
