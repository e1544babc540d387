"""The console's questions: a citizen's cases by the pseudonym of a contact, possible duplicates
before registering, and the URP declining a citizen's reopen request."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sportello_intake.staff_queries import normalise_address

from .conftest import REGISTRATION, eventually
from .test_lifecycle_and_search import assign


def test_addresses_match_on_street_and_number() -> None:
    same = {"Via Roma 1, Torino", "via roma, 1 - Torino", "V. Roma 1", "VIA  ROMA 1"}
    assert {normalise_address(a) for a in same} == {"via roma 1"}
    assert normalise_address("Via Roma 10, Torino") != "via roma 1"
    assert normalise_address("C.so Francia 5") == "corso francia 5"


async def register(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/cases", json={**REGISTRATION, **changes})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(answer: httpx.Response) -> dict[str, list[str]]:
    assert answer.status_code == 200, answer.text
    return {item["case_id"]: item["matched"] for item in answer.json()["items"]}


async def test_duplicates_by_citizen_and_by_place(client: httpx.AsyncClient) -> None:
    mine = await register(client, citizen={"name": "Lia Neri", "email": "Lia.Neri@example.org"})
    again = await register(
        client,
        category="qualita_urbana",
        location=None,
        citizen={"name": "Lia Neri", "phone": "+39 011 7654321", "email": "lia.neri@example.org"},
    )
    place = await register(
        client,
        citizen={"name": "Ugo Blu", "email": "ugo.blu@example.org"},
        location={"address": "via Roma, 1 - Torino"},
    )
    elsewhere = await register(
        client,
        citizen={"name": "Eva Gialli", "email": "eva@example.org"},
        location={"address": "Via Roma 10, Torino"},
    )
    asked = {"tenant": "torino", "category": "decoro_pulizia", "address": "Via Roma 1"}

    async def indexed() -> dict[str, list[str]] | None:
        """the case index (eventually consistent, docs/architecture.md) has the four cases"""
        found = ids(await client.post("/cases/queries/duplicates", json=asked))
        at_ten = ids(
            await client.post("/cases/queries/duplicates", json={**asked, "address": "Via Roma 10"})
        )
        wanted = {mine["case_id"], place["case_id"]}
        return found if wanted <= set(found) and elsewhere["case_id"] in at_ten else None

    await eventually(indexed)
    by_place = ids(await client.post("/cases/queries/duplicates", json=asked))
    assert by_place[place["case_id"]] == ["place"] and by_place[mine["case_id"]] == ["place"]
    assert elsewhere["case_id"] not in by_place
    both = ids(
        await client.post(
            "/cases/queries/duplicates", json={**asked, "email": " LIA.NERI@example.org "}
        )
    )
    assert both[mine["case_id"]] == ["citizen", "place"]
    assert both[again["case_id"]] == ["citizen"]  # the same citizen, another category
    by_phone = ids(await client.post("/cases/queries/by-contact", json={"phone": "011 765 4321"}))
    assert list(by_phone) == [again["case_id"]]
    nobody = await client.post("/cases/queries/by-contact", json={})
    assert nobody.status_code == 422


async def test_an_erased_citizen_is_found_no_more(client: httpx.AsyncClient, nats_url: str) -> None:
    case = await register(client, citizen={"name": "Ada Viola", "email": "ada@example.org"})
    await close(client, nats_url, case)

    async def found() -> dict[str, list[str]]:
        """the case index has Ada's case"""
        return ids(
            await client.post("/cases/queries/by-contact", json={"email": "ada@example.org"})
        )

    assert list(await eventually(found)) == [case["case_id"]]
    open_only = {"email": "ada@example.org", "open_only": True}
    assert ids(await client.post("/cases/queries/by-contact", json=open_only)) == {}
    erased = await client.post("/admin/erasures", json={"email": "ada@example.org"})
    assert erased.status_code == 201, erased.text
    after = await client.post("/cases/queries/by-contact", json={"email": "ada@example.org"})
    assert ids(after) == {}


async def close(client: httpx.AsyncClient, nats_url: str, case: dict[str, Any]) -> None:
    await assign(nats_url, case, "pm-reparto-5", 1)

    async def assigned() -> bool:
        view = (await client.get(f"/cases/{case['case_id']}")).json()
        return bool(view["status"] == "assigned")

    await eventually(assigned)
    for action, body in (("take-in-charge", {"operator": "anna"}), ("close", {"outcome": "Fatto"})):
        response = await client.post(f"/cases/{case['case_id']}/{action}", json=body)
        assert response.status_code == 200, response.text


async def test_the_urp_declines_a_reopen_request(
    app: FastAPI, client: httpx.AsyncClient, nats_url: str
) -> None:
    case = await register(client)
    case_id = case["case_id"]
    url = f"/cases/{case_id}/reopen-request/decline"
    nothing = await client.post(url, json={"reason": "Nessuna richiesta"})
    assert nothing.status_code == 409 and "riapertura" in nothing.json()["detail"]
    await close(client, nats_url, case)
    runtime = app.state.runtime
    await runtime.writer.call(
        runtime.app.request_reopening, UUID(case_id), "Ancora pieni", "citizen:web", None
    )
    reason = "Il servizio è stato verificato: i cassonetti sono stati svuotati il 6/12."
    declined = await client.post(url, json={"reason": reason})
    assert declined.status_code == 200, declined.text
    view = declined.json()
    assert view["status"] == "closed"
    assert view["timeline"][-1] == {**view["timeline"][-1], "event": "reopen_declined",
                                    "reason": reason}  # fmt: skip
    again = await client.post(url, json={"reason": reason})
    assert again.status_code == 409  # decided already
