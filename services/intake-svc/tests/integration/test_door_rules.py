"""The rules at the door (issue 26), on SQLite and PostgreSQL: bounded back-dating, search by
reference, unknown query parameters refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from .conftest import REGISTRATION, eventually, this_year

ON_TIME = {k: v for k, v in REGISTRATION.items() if k not in ("received_at", "late_entry_reason")}


async def test_a_case_received_long_ago_needs_a_late_entry_reason(
    client: httpx.AsyncClient,
) -> None:
    old = ON_TIME | {"received_at": "2016-05-02T10:00:00+02:00"}
    refused = await client.post("/cases", json=old, headers={"accept-language": "en"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "late_entry_reason"
    assert refused.json()["window_days"] == 30
    assert "over the 30-day window" in refused.json()["detail"]

    reason = "lettera del 2016 ritrovata in archivio"
    accepted = await client.post("/cases", json=old | {"late_entry_reason": reason})
    assert accepted.status_code == 201, accepted.text
    case = accepted.json()
    assert case["reference"].startswith(f"TO-{this_year()}-")  # the registration's year
    assert case["received_at"].startswith("2016-05-02")
    assert case["timeline"][0]["late_entry_reason"] == reason


async def test_within_the_window_no_reason_is_asked_and_none_is_kept(
    client: httpx.AsyncClient,
) -> None:
    recent = (datetime.now(UTC) - timedelta(days=29)).isoformat()
    response = await client.post(
        "/cases", json=ON_TIME | {"received_at": recent, "late_entry_reason": "per scrupolo"}
    )
    assert response.status_code == 201, response.text
    assert "late_entry_reason" not in response.json()["timeline"][0]


async def test_search_by_reference_and_unknown_parameters_are_refused(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post("/cases", json=ON_TIME)).json()
    await client.post("/cases", json=ON_TIME)

    async def found() -> list[str]:
        response = await client.get("/cases", params={"reference": first["reference"]})
        assert response.status_code == 200, response.text
        return [item["case_id"] for item in response.json()["items"]]

    await eventually(found)  # the search index follows the store within milliseconds
    assert await found() == [first["case_id"]]

    typo = await client.get("/cases", params={"refrence": first["reference"]})
    assert typo.status_code == 422
    assert typo.json()["errors"] == [
        {"field": "query.refrence", "message": "parametro non previsto"}
    ]
    malformed = await client.get("/cases", params={"reference": "TO-26-1"})
    assert malformed.status_code == 422


async def test_no_anonymous_cases_a_contact_must_reach_the_citizen(
    client: httpx.AsyncClient,
) -> None:
    for citizen, field in (
        ({"name": "Mario Bianchi", "address": "n/d"}, "citizen.address"),
        ({"name": "Mario Bianchi", "address": "via Roma"}, "citizen.address"),
        ({"name": "Mario Bianchi", "phone": "000000"}, "citizen.phone"),
        ({"name": "Mario Bianchi", "email": "m@example.org", "address": "n.d."}, "citizen.address"),
    ):
        refused = await client.post("/cases", json=ON_TIME | {"citizen": citizen})
        assert refused.status_code == 422, citizen
        assert refused.json()["field"] == field
    by_post = {"name": "Mario Bianchi", "address": "via Roma 1, 10121 Torino"}
    assert (await client.post("/cases", json=ON_TIME | {"citizen": by_post})).status_code == 201
