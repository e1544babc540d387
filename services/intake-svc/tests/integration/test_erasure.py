"""The right to be forgotten: deleting a citizen's key makes their personal data unreadable in the
whole history, while the cases' facts and the counts stay what they were."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest
from fastapi import FastAPI
from sportello_intake.application import IntakeApplication
from sportello_intake.domain import ERASED_CITIZEN
from sportello_intake.main import IntakeSettings
from sportello_intake.search import CaseQuery
from sportello_shared.personal_data import ERASED_TEXT, is_erased
from sportello_shared.tenants import load_tenants

from .conftest import REGISTRATION, ROOT, eventually
from .test_lifecycle_and_search import assign, register

GIULIA = {"name": "Giulia Bianchi", "email": "Giulia.Bianchi@example.org", "phone": "+39 050 555"}
GIULIA_ON_THE_PHONE = {"name": "Giulia Bianchi", "phone": "050 555"}
MARCO = {"name": "Marco Neri", "email": "marco.neri@example.org"}


async def close(client: httpx.AsyncClient, nats_url: str, case: dict[str, Any], seq: int) -> None:
    await assign(nats_url, case, "amiat", seq)

    async def assigned() -> bool:
        response = await client.get(f"/cases/{case['case_id']}")
        return bool(response.json()["status"] == "assigned")

    await eventually(assigned)
    case_path = f"/cases/{case['case_id']}"
    assert (await client.post(f"{case_path}/take-in-charge", json={"operator": "anna"})).is_success
    closing = await client.post(f"{case_path}/close", json={"outcome": "Cassonetti svuotati"})
    assert closing.status_code == 200, closing.text


def live(app: FastAPI) -> IntakeApplication:
    application: IntakeApplication = app.state.runtime.app
    return application


def fresh_application(store: dict[str, str], tmp_index: str) -> IntakeApplication:
    """A second process's view of the same store: no cached keys, no in-memory state."""
    from sportello_intake.adapters.case_index import SQLiteCaseIndex

    settings = IntakeSettings(**store)  # type: ignore[call-arg]
    tenants = load_tenants(ROOT / "deploy" / "tenants")
    return IntakeApplication(tenants, SQLiteCaseIndex(tmp_index), env=settings.eventsourcing_env())


async def test_erasure_makes_the_citizen_unreadable_everywhere_and_keeps_the_facts(
    client: httpx.AsyncClient, app: FastAPI, nats_url: str, store: dict[str, str], tmp_path: Any
) -> None:
    first = await register(client, citizen=GIULIA)
    second = await register(client, citizen=GIULIA_ON_THE_PHONE, description="Lampione spento")
    other = await register(client, citizen=MARCO)
    for seq, case in enumerate((first, second, other), start=1):
        await close(client, nats_url, case, seq)
    intake = live(app)
    before = intake.get_case(UUID(first["case_id"]))
    assert before.citizen["name"] == "Giulia Bianchi"
    assert before.description == REGISTRATION["description"]
    events_before = intake.recorder.max_notification_id() or 0

    # the citizen names the contacts they used: each finds the cases that name it
    asked = {"email": "giulia.bianchi@example.org", "phone": "+39 050555"}
    response = await client.post("/admin/erasures", json=asked)

    assert response.status_code == 201, response.text
    erased = response.json()
    assert {c["reference"] for c in erased["cases"]} == {first["reference"], second["reference"]}
    # what the file still says: the facts, and that the data was erased, by whom
    view = (await client.get(f"/cases/{first['case_id']}")).json()
    assert view["status"] == "closed" and view["category"] == "decoro_pulizia"
    assert view["personal_data_erased_at"] is not None
    assert view["timeline"][-1]["event"] == "personal_data_erased"
    # a store opened afresh (nothing cached) cannot read it any more, in any event of the history
    reader = fresh_application(store, str(tmp_path / "reader-index.sqlite"))
    try:
        for case in (first, second):
            history = list(reader.events.get(UUID(case["case_id"])))
            registered = history[0]
            assert is_erased(registered)
            assert registered.citizen == ERASED_CITIZEN  # type: ignore[attr-defined]
            assert registered.description == ERASED_TEXT  # type: ignore[attr-defined]
            assert registered.location is None  # type: ignore[attr-defined]
            handed_over = [e for e in history if type(e).__name__ == "AssignmentRecorded"]
            assert handed_over and all(e.dossier == {} for e in handed_over)  # type: ignore[attr-defined]
        # the other citizen is untouched
        marco = reader.get_case(UUID(other["case_id"]))
        assert marco.citizen["email"] == MARCO["email"]
        # counts unchanged: every event is still there, plus one erasure record per case
        assert (reader.recorder.max_notification_id() or 0) == events_before + 2
    finally:
        reader.close()

    async def all_three_still_found() -> bool:  # the index follows the log
        search = (await client.get("/cases", params={"tenant": "torino"})).json()
        return bool(search["total"] == 3)

    await eventually(all_three_still_found)


async def test_the_erasure_is_published_for_the_services_and_partners_that_keep_a_copy(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    case = await register(client, citizen=MARCO)
    await close(client, nats_url, case, 1)
    nc = await nats.connect(servers=[nats_url])
    try:
        subscription = await nc.jetstream().subscribe("cases.torino.*.personal_data_erased")
        response = await client.post("/admin/erasures", json={"case_id": case["case_id"]})
        assert response.status_code == 201, response.text
        message = await subscription.next_msg(timeout=10)
        event = json.loads(message.data)
        assert message.subject == "cases.torino.amiat.personal_data_erased"
        assert event["type"] == "it.sportello.case.personal_data_erased.v1"
        assert event["data"]["case_id"] == case["case_id"]
        assert event["data"]["actor"] == "developer"  # who did it (a token's subject in production)
        assert "Marco" not in message.data.decode()
    finally:
        await nc.close()


async def test_erasing_twice_changes_nothing_more(
    client: httpx.AsyncClient, app: FastAPI, nats_url: str
) -> None:
    case = await register(client, citizen=MARCO)
    await close(client, nats_url, case, 1)
    assert (await client.post("/admin/erasures", json={"case_id": case["case_id"]})).is_success
    intake = live(app)
    version = intake.get_case(UUID(case["case_id"])).version

    again = await client.post("/admin/erasures", json={"email": MARCO["email"]})

    assert again.status_code == 201, again.text
    assert intake.get_case(UUID(case["case_id"])).version == version


async def test_an_open_case_keeps_its_citizen_s_data(client: httpx.AsyncClient) -> None:
    case = await register(client, citizen=MARCO)

    response = await client.post("/admin/erasures", json={"email": MARCO["email"]})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert case["reference"] in response.json()["detail"]
    assert (await client.get(f"/cases/{case['case_id']}")).json()["personal_data_erased_at"] is None


async def test_an_unknown_citizen_or_an_empty_request_is_refused(client: httpx.AsyncClient) -> None:
    nobody = await client.post("/admin/erasures", json={"email": "nobody@example.org"})
    empty = await client.post("/admin/erasures", json={})

    assert nobody.status_code == 404
    assert empty.status_code == 422
    assert "name the citizen: case_id, email or phone" in empty.text


async def test_a_database_dump_holds_neither_the_data_nor_its_key_in_clear(
    app: FastAPI, client: httpx.AsyncClient, store: dict[str, str], nats_url: str
) -> None:
    if "DATABASE_URL" not in store:
        pytest.skip("the dump check is about PostgreSQL")
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump (postgresql-client) is needed for this check"
    case = await register(client, citizen=GIULIA)
    await close(client, nats_url, case, 1)
    assert (await client.post("/admin/erasures", json={"case_id": case["case_id"]})).is_success
    erased_version = live(app).get_case(UUID(case["case_id"])).version

    def indexed_after_erasure() -> bool:  # the index follows the log: dump once it has caught up
        rows, _ = live(app).search_cases(CaseQuery(references=[case["reference"]]))
        return bool(rows) and rows[0].version >= erased_version

    await eventually(indexed_after_erasure)

    dump = subprocess.run(
        [pg_dump, "--data-only", f"--schema={store['DATABASE_SCHEMA']}", store["DATABASE_URL"]],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    assert "intake_data_subjects" in dump and case["reference"] in dump
    for value in ("Giulia", "example.org", "050 555", "Cassonetti traboccanti"):
        assert value not in dump
