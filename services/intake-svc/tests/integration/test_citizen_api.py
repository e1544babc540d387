"""The public site's side of intake: reports, follow tokens, lookup by reference and e-mail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sportello_devstack import open311_keys
from sportello_intake.application import IntakeApplication

from .conftest import REGISTRATION, eventually

REPORT: dict[str, Any] = {
    "submission_id": "web-0001-abcdef",
    "category": "decoro_pulizia",
    "title": "Cassonetti traboccanti",
    "details": "I cassonetti di via Roma 12 non vengono svuotati da una settimana.",
    "place": "Via Roma 12, Torino",
    "citizen": {"name": "Maria Rossi", "email": "Maria.Rossi@example.org", "language": "it"},
}


@pytest.fixture
def site_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    served = open311_keys.provision(tmp_path, ["torino", "pisa"], client="public-site")
    monkeypatch.setenv("OPEN311_KEYS_FILE", str(served))
    keys = {t: open311_keys.key_for(tmp_path, t, client="public-site") for t in ("torino", "pisa")}
    return {"X-Api-Key": str(keys["torino"]), "pisa": str(keys["pisa"])}


def headers(site_key: dict[str, str]) -> dict[str, str]:
    return {"X-Api-Key": site_key["X-Api-Key"]}


async def test_a_report_becomes_a_web_case_once_per_submission(
    client: httpx.AsyncClient, site_key: dict[str, str]
) -> None:
    first = await client.post("/citizen/v1/torino/reports", json=REPORT, headers=headers(site_key))
    again = await client.post("/citizen/v1/torino/reports", json=REPORT, headers=headers(site_key))
    assert first.status_code == 201, first.text
    body, repeat = first.json(), again.json()
    assert (body["created"], repeat["created"]) == (True, False)
    assert repeat["case_id"] == body["case_id"] and repeat["follow_token"] == body["follow_token"]
    assert len(body["follow_token"]) >= 32 and body["reference"] not in body["follow_token"]

    case = (await client.get(f"/cases/{body['case_id']}")).json()
    assert case["channel"] == "web" and case["kind"] == "segnalazione"
    assert case["follow_url"].endswith(f"/torino/segnalazioni/{body['follow_token']}")


async def test_the_status_page_reads_the_case_in_the_citizens_words(
    client: httpx.AsyncClient, site_key: dict[str, str]
) -> None:
    ack = (
        await client.post("/citizen/v1/torino/reports", json=REPORT, headers=headers(site_key))
    ).json()
    url = f"/citizen/v1/torino/cases/{ack['follow_token']}"
    view = (await client.get(url, headers=headers(site_key))).json()
    assert view["reference"] == ack["reference"]
    assert view["category_name"] == "Decoro e pulizia della città"
    assert [s["step"] for s in view["history"]] == ["received"]
    assert "actor" not in str(view) and "Maria" not in str(view)

    unknown = await client.get(url[:-4] + "AAAA", headers=headers(site_key))
    assert unknown.status_code == 404
    other_tenant = await client.get(
        f"/citizen/v1/pisa/cases/{ack['follow_token']}", headers={"X-Api-Key": site_key["pisa"]}
    )
    assert other_tenant.status_code == 404
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers={"X-Api-Key": site_key["pisa"]})).status_code == 403


async def test_a_reference_leads_to_the_token_only_with_its_email(
    client: httpx.AsyncClient, site_key: dict[str, str]
) -> None:
    ack = (
        await client.post("/citizen/v1/torino/reports", json=REPORT, headers=headers(site_key))
    ).json()
    staff_case = (await client.post("/cases", json=REGISTRATION)).json()

    async def lookup(reference: str, email: str) -> httpx.Response:
        body = {"reference": reference, "email": email}
        return await client.post("/citizen/v1/torino/lookup", json=body, headers=headers(site_key))

    found = await eventually(lambda: _ok(lookup(ack["reference"], " maria.rossi@EXAMPLE.org ")))
    assert found["follow_token"] == ack["follow_token"]
    wrong_email = await lookup(ack["reference"], "someone@example.org")
    other_case = await lookup(staff_case["reference"], "maria.rossi@example.org.evil")
    no_case = await lookup("TO-2099-999999", "maria.rossi@example.org")
    answers = {(r.status_code, r.text) for r in (wrong_email, other_case, no_case)}
    assert answers == {(404, wrong_email.text)}  # the same answer whatever did not match


async def _ok(pending: Any) -> dict[str, Any] | None:
    response: httpx.Response = await pending
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


async def test_the_citizen_asks_to_reopen_a_closed_case_and_the_urp_decides(
    app: FastAPI, client: httpx.AsyncClient, site_key: dict[str, str]
) -> None:
    ack = (
        await client.post("/citizen/v1/torino/reports", json=REPORT, headers=headers(site_key))
    ).json()
    token, case_id = ack["follow_token"], ack["case_id"]
    ask = {"reason": "Il cassonetto è di nuovo pieno dopo un giorno."}
    url = f"/citizen/v1/torino/cases/{token}/reopen-request"
    too_early = await client.post(url, json=ask, headers=headers(site_key))
    assert too_early.status_code == 409  # not closed yet

    # routing-svc does not run here: its decision is recorded as intake's consumer would
    runtime = app.state.runtime
    await runtime.writer.call(_record_assignment, runtime.app, UUID(case_id))
    for command, body in (
        ("take-in-charge", {"operator": "cc.rossi"}),
        ("close", {"outcome": "Svuotati.", "actor": "cc.rossi"}),
    ):
        response = await client.post(f"/cases/{case_id}/{command}", json=body)
        assert response.status_code == 200, response.text

    asked = await client.post(url, json=ask, headers=headers(site_key))
    assert asked.status_code == 202, asked.text
    view = asked.json()
    assert view["status"] == "closed" and view["reopen_requested"] is True
    assert view["history"][-1]["step"] == "reopen_requested"
    assert view["history"][-1]["detail"] == ask["reason"]
    assert view["reopen_until"] is not None
    short = await client.post(url, json={"reason": "no"}, headers=headers(site_key))
    assert short.status_code == 422
    reopened = await client.post(f"/cases/{case_id}/reopen", json={"reason": ask["reason"]})
    assert reopened.json()["status"] == "reopened"


def _record_assignment(app: IntakeApplication, case_id: UUID) -> None:
    case = app.get_case(case_id)
    case.record_assignment("contact-center", "Contact Center", datetime.now(UTC), None)
    app.save(case)
