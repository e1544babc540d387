"""Casale's procedures over HTTP, on SQLite and PostgreSQL (issue 18 points 2 and 6), the URP
triage-first: a housing attestation protocolled by the URP (the number drawn from intake's own
register), forwarded to the Polizia Locale, which schedules the inspection, reports it with the
verbale uploaded as an attachment and answers the URP; the URP issues the attestation as the
outcome and closes. Each step on the file, on the bus, and refused where the tenant's
procedures.yaml, its workflow or the file say it does not apply."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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


def today() -> str:
    """The day a case registered now was received, in Casale."""
    return datetime.now(ZoneInfo("Europe/Rome")).date().isoformat()


def yesterday() -> str:
    return (datetime.now(ZoneInfo("Europe/Rome")).date() - timedelta(days=1)).isoformat()


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

        # the URP has it first (triage-first): it does not inspect, nor attest before the office
        await assign_and_take(client, nats_url, case, "urp")
        when = {"scheduled_for": "2026-12-15T09:30:00+01:00", "inspector": "Pattuglia PL 3"}
        path = f"/cases/{cid}/schedule-inspection"
        await refused(client, path, when, "inspection_not_forwarded")
        attestation = {"attestation_number": "IA-2026-0042", "issued_on": today()}
        await refused(
            client, f"/cases/{cid}/issue-attestation", attestation, "inspection_not_reported"
        )
        await forward_to(client, nats_url, case, "polizia-locale", None)

        uploaded = await client.post(
            f"/attachments/cases/{cid}", files={"file": ("verbale.pdf", REPORT, "application/pdf")}
        )
        assert uploaded.status_code == 201, uploaded.text
        digest = uploaded.json()["sha256"]
        assert digest == hashlib.sha256(REPORT).hexdigest()
        report = {"report": digest, "finding": "idoneo"}
        await refused(client, f"/cases/{cid}/report-inspection", report, "inspection_not_scheduled")
        scheduled = await client.post(path, json=when)
        assert scheduled.status_code == 200, scheduled.text
        assert scheduled.json()["inspection"]["status"] == "scheduled"
        assert scheduled.json()["status"] == "forwarded"
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
        # the Polizia Locale does not issue it: it answers the URP with the verbale on file
        early = await client.post(f"/cases/{cid}/issue-attestation", json=attestation)
        assert early.status_code == 409 and "office-answer" in early.text, early.text
        answer = {"answer": "Sopralluogo eseguito, alloggio idoneo: verbale allegato"}
        answered = await client.post(f"/cases/{cid}/office-answer", json=answer)
        assert answered.status_code == 200, answered.text
        assert (answered.json()["status"], answered.json()["organization"]) == (
            "office_answered",
            "urp",
        )

        # an attestation dated before the application was received is refused (422)
        before = attestation | {"issued_on": yesterday()}
        dated = await client.post(
            f"/cases/{cid}/issue-attestation", json=before, headers={"accept-language": "it"}
        )
        assert dated.status_code == 422, dated.text
        problem = dated.json()
        assert (problem["procedure"], problem["field"]) == ("issued_before_receipt", "issued_on")
        assert "prima del ricevimento della domanda" in problem["detail"]
        english = await client.post(
            f"/cases/{cid}/issue-attestation", json=before, headers={"accept-language": "en"}
        )
        assert "before the application was received" in english.json()["detail"]

        issued = await client.post(f"/cases/{cid}/issue-attestation", json=attestation)
        assert issued.status_code == 200, issued.text
        view = issued.json()
        assert view["status"] == "resolved" and view["outcome"].startswith("L'attestazione")
        assert view["attestation"] == {"outcome_kind": "attestation", **attestation}
        closed = await client.post(f"/cases/{cid}/close", json={"outcome": "Consegnata all'URP"})
        assert closed.status_code == 200, closed.text
        events = [e["event"] for e in closed.json()["timeline"]]
        assert events[events.index("taken_in_charge") :] == [
            "taken_in_charge",
            "forwarded",
            "assigned",
            "inspection_scheduled",
            "inspection_reported",
            "office_answered",
            "attestation_issued",
            "closed",
        ]
        assert "protocolled" in events

        def mine(kind: str) -> list[dict[str, Any]]:
            wanted = f"it.sportello.case.{kind}.v1"
            return [e for e in published if e["type"] == wanted and e["subject"] == cid]

        await eventually(lambda: mine("attestation_issued") and mine("forwarded"), timeout=10)
        [protocolled] = mine("protocolled")
        assert protocolled["data"]["protocol_number"] == number
        [reported] = mine("inspection_reported")
        assert reported["data"]["report_sha256"] == digest
        [attested] = mine("attestation_issued")
        assert attested["data"]["attestation_number"] == "IA-2026-0042"
        assert "outcome" not in attested["data"] and attested["data"]["has_outcome"]
        [forwarded] = mine("forwarded")
        assert forwarded["data"]["to"] is None  # the rules chose the Polizia Locale
    finally:
        await nc.close()


async def test_steps_a_category_does_not_need_are_refused(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    gas = await registered(client, category="attestazione_zone_non_metanizzate")
    await assign_and_take(client, nats_url, gas, "urp")
    when = {"scheduled_for": "2026-12-15T09:30:00+01:00", "inspector": "Pattuglia PL 3"}
    path = f"/cases/{gas['case_id']}/schedule-inspection"
    await refused(client, path, when, "inspection_not_required")
    # no inspection needed, but Urbanistica answers first (triage-first): then the URP attests
    attestation = {"attestation_number": "ZNM-7", "issued_on": today()}
    attest = f"/cases/{gas['case_id']}/issue-attestation"
    await refused(client, attest, attestation, "office_not_answered")
    await forward_to(client, nats_url, gas, "urbanistica", "urbanistica")
    answer = {"answer": "Via Roma 3 è in zona non metanizzata"}
    answered = await client.post(f"/cases/{gas['case_id']}/office-answer", json=answer)
    assert answered.status_code == 200, answered.text
    issued = await client.post(attest, json=attestation)
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
    taken = await client.post(f"/cases/{cid}/take-in-charge", json={"operator": "urp.anna"})
    assert taken.status_code == 200, taken.text


async def forward_to(
    client: httpx.AsyncClient,
    nats_url: str,
    case: dict[str, Any],
    organization: str,
    to: str | None,
    seq: int = 2,
    headers: dict[str, str] | None = None,
) -> None:
    """The URP forwards the case (`to`, or the rules' choice); routing's decision for
    `organization` (published here: no routing-svc in these tests) lands on it."""
    cid = case["case_id"]
    body = {"to": to} if to else {}
    forwarded = await client.post(f"/cases/{cid}/forward", json=body, headers=headers)
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["status"] == "forwarded"
    await assign(nats_url, case, organization, seq)

    async def placed() -> bool:
        view = (await client.get(f"/cases/{cid}", headers=headers)).json()
        return bool(view["organization"] == organization)

    await eventually(placed, timeout=10)


async def casale_steps_by_token(
    client: httpx.AsyncClient,
    nats_url: str,
    urp: tuple[dict[str, str], str],
    office: tuple[dict[str, str], str],
    seq: int,
) -> set[tuple[str, str]]:
    """Casale's procedure steps with tokens (test_actor.py): the URP's (an operator) and the
    Polizia Locale's (an office) each recorded as the token's subject, whoever the body names;
    the routes covered. `seq`: the assignment's position after the others the store has
    tracked."""
    (urp_headers, urp_subject), (office_headers, office_subject) = urp, office
    created = await client.post("/cases", json=APPLICATION, headers=urp_headers)
    assert created.status_code == 201, created.text
    case = created.json()
    cid = case["case_id"]
    await assign(nats_url, case, "urp", seq)

    async def assigned() -> bool:
        view = (await client.get(f"/cases/{cid}", headers=urp_headers)).json()
        return bool(view["status"] == "assigned")

    await eventually(assigned)

    async def do(steps: list[tuple[str, dict[str, Any]]], headers: dict[str, str]) -> None:
        for step, body in steps:
            done = await client.post(
                f"/cases/{cid}/{step}", json=body | {"actor": "mallory"}, headers=headers
            )
            assert done.status_code == 200, (step, done.text)

    await do([("protocol", {}), ("take-in-charge", {"operator": "mallory"})], urp_headers)
    when = {"scheduled_for": "2026-12-15T09:30:00+01:00", "inspector": "x"}
    not_the_urps = await client.post(
        f"/cases/{cid}/schedule-inspection", json=when, headers=urp_headers
    )
    assert not_the_urps.status_code == 403, not_the_urps.text  # the office's step, by role
    await forward_to(client, nats_url, case, "polizia-locale", None, seq + 1, urp_headers)
    files = {"file": ("verbale.pdf", REPORT, "application/pdf")}
    stored = await client.post(f"/attachments/cases/{cid}", files=files, headers=office_headers)
    assert stored.status_code == 201, stored.text
    office_steps = [
        ("schedule-inspection", when),
        ("report-inspection", {"report": stored.json()["sha256"], "finding": "idoneo"}),
        ("office-answer", {"answer": "Alloggio idoneo"}),
    ]
    await do(office_steps, office_headers)
    attestation = {"attestation_number": "IA-1", "issued_on": today()}
    await do([("issue-attestation", attestation)], urp_headers)
    timeline = (await client.get(f"/cases/{cid}", headers=urp_headers)).json()["timeline"]
    by = {e["event"]: e["actor"] for e in timeline if e["event"] != "assigned"}
    assert by == {
        "received": urp_subject,
        "protocolled": urp_subject,
        "taken_in_charge": urp_subject,
        "forwarded": urp_subject,
        "inspection_scheduled": office_subject,
        "inspection_reported": office_subject,
        "office_answered": office_subject,
        "attestation_issued": urp_subject,
    }, timeline
    steps = ["protocol", "take-in-charge", "forward", "issue-attestation"]
    return {("POST", f"/cases/{{case_id}}/{step}") for step, _ in office_steps} | {
        ("POST", f"/cases/{{case_id}}/{step}") for step in steps
    }
