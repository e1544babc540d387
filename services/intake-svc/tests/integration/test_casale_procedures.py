"""Casale's procedures over HTTP, on SQLite and PostgreSQL (issue 18 point 6): a housing
attestation protocolled (the number drawn from intake's own register), its inspection scheduled
and reported with the report uploaded as an attachment, and the attestation issued as the
outcome; each step on the file, on the bus, and refused where the tenant's procedures.yaml or
the file say it does not apply."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import nats

from .conftest import REGISTRATION, eventually, this_year
from .test_lifecycle_and_search import assign

APPLICATION: dict[str, Any] = REGISTRATION | {
    "tenant": "casale-monferrato",
    "kind": "richiesta_intervento",
    "channel": "pec",
    "category": "attestazione_idoneita_alloggiativa",
    "description": "Chiede l'attestazione di idoneità alloggiativa per il ricongiungimento",
    "location": {"address": "via Roma 3, Casale Monferrato"},
    "citizen": {"name": "Amina Haddad", "email": "amina.haddad@example.org"},
    "received_at": None,
    "late_entry_reason": None,
}
# a scanned verbale of a few pages: far over the 64 KB every other body is held to
REPORT = (
    b"%PDF-1.4\n% verbale di sopralluogo, alloggio idoneo per 4 persone\n"
    + bytes(range(256)) * 2400
)


async def registered(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/cases", json=APPLICATION | changes)
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


async def refused(client: httpx.AsyncClient, path: str, body: dict[str, Any], code: str) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 409, response.text
    assert response.json()["procedure"] == code


async def test_a_housing_attestation_through_protocol_inspection_and_issue(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    nc = await nats.connect(servers=[nats_url])
    published: list[dict[str, Any]] = []

    async def keep(msg: Any) -> None:
        published.append(json.loads(msg.data))

    await nc.subscribe("cases.casale-monferrato.>", cb=keep)
    try:
        case = await registered(client)
        cid = case["case_id"]
        first = await client.post(f"/cases/{cid}/protocol", json={"actor": "urp.casale"})
        assert first.status_code == 200, first.text
        number = first.json()["protocol"]["protocol_number"]
        assert number.startswith(f"{this_year()}/") and len(number) == 11
        await refused(client, f"/cases/{cid}/protocol", {}, "already_protocolled")
        other = await registered(client, description="Seconda domanda")
        second = await client.post(f"/cases/{other['case_id']}/protocol", json={})
        following = int(number.split("/")[1]) + 1
        assert second.json()["protocol"]["protocol_number"] == f"{this_year()}/{following:06d}"

        await assign_and_take(client, nats_url, case, "polizia-locale")

        uploaded = await client.post(
            f"/attachments/cases/{cid}", files={"file": ("verbale.pdf", REPORT, "application/pdf")}
        )
        assert uploaded.status_code == 201, uploaded.text
        digest = uploaded.json()["sha256"]
        assert digest == hashlib.sha256(REPORT).hexdigest()
        report = {"report": digest, "finding": "idoneo"}
        await refused(client, f"/cases/{cid}/report-inspection", report, "inspection_not_scheduled")
        attestation = {"attestation_number": "IA-2026-0042", "issued_on": "2026-12-04"}
        await refused(
            client, f"/cases/{cid}/issue-attestation", attestation, "inspection_not_reported"
        )
        when = {"scheduled_for": "2026-12-15T09:30:00+01:00", "inspector": "Pattuglia PL 3"}
        scheduled = await client.post(f"/cases/{cid}/schedule-inspection", json=when)
        assert scheduled.status_code == 200, scheduled.text
        assert scheduled.json()["inspection"]["status"] == "scheduled"
        unknown = {"report": "0" * 64, "finding": "idoneo"}
        await refused(client, f"/cases/{cid}/report-inspection", unknown, "unknown_report")
        done = await client.post(f"/cases/{cid}/report-inspection", json=report)
        assert done.status_code == 200, done.text
        assert done.json()["inspection"] == {
            **when | {"scheduled_for": "2026-12-15T09:30:00+01:00"},
            "status": "reported",
            "report": digest,
            "finding": "idoneo",
        }
        issued = await client.post(f"/cases/{cid}/issue-attestation", json=attestation)
        assert issued.status_code == 200, issued.text
        view = issued.json()
        assert view["status"] == "resolved" and view["outcome"].startswith("L'attestazione")
        assert view["attestation"] == {"outcome_kind": "attestation", **attestation}
        events = [e["event"] for e in view["timeline"]]
        assert events[-4:] == [
            "taken_in_charge",
            "inspection_scheduled",
            "inspection_reported",
            "attestation_issued",
        ]
        assert "protocolled" in events

        def mine(kind: str) -> list[dict[str, Any]]:
            wanted = f"it.sportello.case.{kind}.v1"
            return [e for e in published if e["type"] == wanted and e["subject"] == cid]

        await eventually(lambda: mine("attestation_issued"), timeout=10)
        [protocolled] = mine("protocolled")
        assert protocolled["data"]["protocol_number"] == number
        [reported] = mine("inspection_reported")
        assert reported["data"]["report_sha256"] == digest
        [attested] = mine("attestation_issued")
        assert attested["data"]["attestation_number"] == "IA-2026-0042"
        assert "outcome" not in attested["data"] and attested["data"]["has_outcome"]
    finally:
        await nc.close()


async def test_steps_a_category_does_not_need_are_refused(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    gas = await registered(client, category="attestazione_zone_non_metanizzate")
    await assign_and_take(client, nats_url, gas, "urbanistica")
    when = {"scheduled_for": "2026-12-15T09:30:00+01:00", "inspector": "Pattuglia PL 3"}
    path = f"/cases/{gas['case_id']}/schedule-inspection"
    await refused(client, path, when, "inspection_not_required")
    # no inspection needed: the attestation is issued straight away
    attestation = {"attestation_number": "ZNM-7", "issued_on": "2026-12-04"}
    issued = await client.post(f"/cases/{gas['case_id']}/issue-attestation", json=attestation)
    assert issued.status_code == 200, issued.text

    spid = await registered(client, category="spid_point", kind="richiesta_informazioni")
    await refused(client, f"/cases/{spid['case_id']}/protocol", {}, "no_protocol")
    given = await client.post(
        f"/cases/{gas['case_id']}/protocol", json={"protocol_number": "PG 2026/0099"}
    )
    assert given.json()["protocol"]["protocol_number"] == "PG 2026/0099"  # kept elsewhere


async def assign_and_take(
    client: httpx.AsyncClient, nats_url: str, case: dict[str, Any], organization: str
) -> None:
    cid = case["case_id"]
    await assign(nats_url, case, organization, 1)

    async def assigned() -> bool:
        return bool((await client.get(f"/cases/{cid}")).json()["status"] == "assigned")

    await eventually(assigned, timeout=10)
    taken = await client.post(f"/cases/{cid}/take-in-charge", json={"operator": "pl.rossi"})
    assert taken.status_code == 200, taken.text


async def casale_steps_by_token(
    client: httpx.AsyncClient, nats_url: str, headers: dict[str, str], subject: str, seq: int
) -> set[tuple[str, str]]:
    """Casale's procedure steps with a token (test_actor.py): each recorded as the token's
    subject, whoever the body names; the routes it covered. `seq`: the assignment's position
    after the others the store has tracked."""
    created = await client.post("/cases", json=APPLICATION, headers=headers)
    assert created.status_code == 201, created.text
    case = created.json()
    cid = case["case_id"]
    await assign(nats_url, case, "polizia-locale", seq)

    async def assigned() -> bool:
        view = (await client.get(f"/cases/{cid}", headers=headers)).json()
        return bool(view["status"] == "assigned")

    await eventually(assigned)
    files = {"file": ("verbale.pdf", REPORT, "application/pdf")}
    stored = await client.post(f"/attachments/cases/{cid}", files=files, headers=headers)
    assert stored.status_code == 201, stored.text
    steps = [
        ("protocol", {}),
        ("take-in-charge", {"operator": "mallory"}),
        ("schedule-inspection", {"scheduled_for": "2026-12-15T09:30:00+01:00", "inspector": "x"}),
        ("report-inspection", {"report": stored.json()["sha256"], "finding": "idoneo"}),
        ("issue-attestation", {"attestation_number": "IA-1", "issued_on": "2026-12-04"}),
    ]
    for step, body in steps:
        done = await client.post(
            f"/cases/{cid}/{step}", json=body | {"actor": "mallory"}, headers=headers
        )
        assert done.status_code == 200, (step, done.text)
    timeline = (await client.get(f"/cases/{cid}", headers=headers)).json()["timeline"]
    assert {e["actor"] for e in timeline if e["event"] != "assigned"} == {subject}, timeline
    return {("POST", f"/cases/{{case_id}}/{step}") for step, _ in steps}
