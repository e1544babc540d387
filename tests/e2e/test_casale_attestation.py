"""End to end (issue 18 points 2 and 6), the services as processes on real NATS, on SQLite and
on PostgreSQL: Casale Monferrato's attestazione di idoneità alloggiativa from the citizen's
application to the attestation, the URP triage-first (seed 001: "La domanda è protocollata e
inviata all'ufficio Polizia Locale, che deve provvedere al sopralluogo e trasmissione del
verbale"). Routing gives the case to the URP, which protocols it (the number from intake's own
register), takes it in charge and forwards it to the Polizia Locale (the 2 working days of the
forwarding stop there); the Polizia Locale schedules the site inspection, reports it with the
verbale uploaded as an attachment and answers the URP; the URP issues the attestation (not
dated before the application) and closes. The legal 30-day clock runs from receipt to the
issuance, and the citizen's mails tell the protocol number, the inspection's date, that the
attestation is ready and, closing, the protocol again. A case the URP forwards where no rule
places it comes back to the URP's queue with routing's reason."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sportello_devstack.mailsink import read_mails
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_devstack.testing import stack_on_store

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CITIZEN = "amina.haddad@example.org"
APPLICATION: dict[str, Any] = {
    "tenant": "casale-monferrato",
    "kind": "richiesta_intervento",
    "channel": "email",
    "category": "attestazione_idoneita_alloggiativa",
    "description": "Chiedo l'attestazione di idoneità alloggiativa per il ricongiungimento "
    "familiare con mia moglie e i due figli, alloggio in via Roma 3",
    "citizen": {"name": "Amina Haddad", "email": CITIZEN},
}
REPORT = b"%PDF-1.4\n% Verbale di sopralluogo: alloggio di 70 mq, idoneo per 4 persone\n"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with stack_on_store(
        request,
        tmp_path_factory.mktemp(f"casale-{request.param}"),
        "casale",
        extra_env={"RELAY_POLL_INTERVAL": "0.05", "DISPATCH_POLL_INTERVAL": "0.1"},
    ) as running:
        yield running


def subject_of(mail: Message) -> str:
    return str(make_header(decode_header(mail["Subject"] or "")))


def body_of(mail: Message) -> str:
    parts = mail.walk() if mail.is_multipart() else [mail]
    for part in parts:
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    return ""


def citizen_mail(stack: Stack, words: str) -> Message:
    """The citizen's mail whose subject says `words`, once it has arrived."""

    def arrived() -> Message | None:
        mails = [m for m in read_mails(stack.mail_dir) if CITIZEN in (m["To"] or "")]
        found = [m for m in mails if words in subject_of(m)]
        return found[0] if found else None

    mail: Message = eventually(arrived, timeout=60)
    return mail


def post(stack: Stack, path: str, status: int = 200, **kwargs: Any) -> dict[str, Any]:
    response = httpx.post(f"{stack.url('intake')}{path}", timeout=10, **kwargs)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def case_of(stack: Stack, case_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{stack.url('intake')}/cases/{case_id}", timeout=10).json()
    return answer


def clock(stack: Stack, case_id: str, standard: str) -> dict[str, Any] | None:
    response = httpx.get(f"{stack.url('sla')}/cases/{case_id}/clocks", timeout=10)
    found = [c for c in response.json() if c["standard"] == standard]
    return found[0] if found else None


def routed(stack: Stack, case_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(
        f"{stack.url('routing')}/assignments/{case_id}", timeout=10
    ).json()
    return answer


def mails_to(stack: Stack, address: str) -> list[Message]:
    return [m for m in read_mails(stack.mail_dir) if address in (m["To"] or "")]


def test_an_idoneita_alloggiativa_from_application_to_attestation(stack: Stack) -> None:
    case = post(stack, "/cases", 201, json=APPLICATION)
    cid, reference = case["case_id"], case["reference"]
    ack = citizen_mail(stack, "ricevut")
    assert reference in subject_of(ack)

    # 1. triage-first: routing gives it to the URP, saying the rules would choose the PL
    with_urp = eventually(lambda: (c := case_of(stack, cid))["status"] == "assigned" and c)
    assert with_urp["organization"] == "urp"
    decision = routed(stack, cid)["history"][0]
    assert decision["rule_id"] == "triage-first" and "Polizia Locale" in decision["reasons"][1]

    # 2. the URP protocols the application: the number from intake's register, for this year
    protocolled = post(stack, f"/cases/{cid}/protocol", json={"actor": "urp.casale"})
    number = protocolled["protocol"]["protocol_number"]
    year = datetime.now(ZoneInfo("Europe/Rome")).year
    assert number.startswith(f"{year}/")
    mail = citizen_mail(stack, "protocollat")
    assert number in subject_of(mail) and number in body_of(mail)
    assert "30 giorni" in body_of(mail)

    # the 30-day legal clock runs from receipt, the forwarding's 2 working days too
    running = eventually(lambda: clock(stack, cid, "attestation_30d"), timeout=30)
    assert running["status"] == "running"
    forwarding = eventually(lambda: clock(stack, cid, "forwarding_2wd"), timeout=30)
    assert forwarding["status"] == "running"  # the URP's own assignment does not stop it

    # 3. the URP takes it in charge and forwards it to the office the rules choose
    post(stack, f"/cases/{cid}/take-in-charge", json={"operator": "urp.casale"})
    forwarded = post(stack, f"/cases/{cid}/forward", json={})
    assert forwarded["status"] == "forwarded"
    with_police = eventually(
        lambda: (c := case_of(stack, cid))["organization"] == "polizia-locale" and c, timeout=30
    )
    assert with_police["status"] == "forwarded"
    met = eventually(
        lambda: (c := clock(stack, cid, "forwarding_2wd")) and c["status"] == "met" and c,
        timeout=30,
    )
    forwarded_at = datetime.fromisoformat(forwarded["timeline"][-1]["occurred_at"])
    assert datetime.fromisoformat(met["stopped_at"]) == forwarded_at
    (to_police,) = eventually(
        lambda: mails_to(stack, "polizia-locale@casale-monferrato.sportello.example"), timeout=30
    )
    assert reference in body_of(to_police) or reference in subject_of(to_police)

    # 4. the Polizia Locale schedules the inspection, reports it with the verbale, answers
    inspection = {"scheduled_for": "2026-12-15T09:30:00+01:00", "inspector": "Pattuglia PL 3"}
    post(stack, f"/cases/{cid}/schedule-inspection", json=inspection)
    mail = citizen_mail(stack, "Sopralluogo fissato")
    assert "15/12/2026 09:30" in body_of(mail) and "Pattuglia PL 3" in body_of(mail)
    assert number in body_of(mail)

    files = {"file": ("verbale.pdf", REPORT, "application/pdf")}
    stored = post(stack, f"/attachments/cases/{cid}", 201, files=files)
    assert stored["sha256"] == hashlib.sha256(REPORT).hexdigest()
    reported = post(
        stack,
        f"/cases/{cid}/report-inspection",
        json={"report": stored["sha256"], "finding": "idoneo"},
    )
    assert reported["inspection"]["status"] == "reported"
    assert reported["status"] == "forwarded"  # the PL answers the URP, it does not attest

    today = datetime.now(ZoneInfo("Europe/Rome")).date()
    attestation = {"attestation_number": "IA-2026-0042", "issued_on": today.isoformat()}
    not_yet = httpx.post(
        f"{stack.url('intake')}/cases/{cid}/issue-attestation", json=attestation, timeout=10
    )
    assert not_yet.status_code == 409 and "office-answer" in not_yet.text, not_yet.text
    answer = {"answer": "Sopralluogo eseguito: alloggio idoneo per 4 persone, verbale allegato."}
    answered = post(stack, f"/cases/{cid}/office-answer", json=answer)
    assert (answered["status"], answered["organization"]) == ("office_answered", "urp")
    back = eventually(lambda: (r := routed(stack, cid))["organization"] == "urp" and r)
    assert [h["cause"] for h in back["history"]] == ["received", "forwarded", "office_answered"]
    # intake has the case back at the URP too (it applies routing's decision a moment later)
    eventually(lambda: case_of(stack, cid)["timeline"][-1]["event"] == "assigned")

    # 5. the URP issues the attestation: not dated before the application was received
    yesterday = attestation | {"issued_on": (today - timedelta(days=1)).isoformat()}
    refused = httpx.post(
        f"{stack.url('intake')}/cases/{cid}/issue-attestation", json=yesterday, timeout=10
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["procedure"] == "issued_before_receipt"
    issued = post(stack, f"/cases/{cid}/issue-attestation", json=attestation)
    assert issued["status"] == "resolved"
    assert issued["attestation"]["attestation_number"] == "IA-2026-0042"
    mail = citizen_mail(stack, "Attestazione pronta")
    assert "IA-2026-0042" in body_of(mail) and today.strftime("%d/%m/%Y") in body_of(mail)

    met = eventually(
        lambda: (c := clock(stack, cid, "attestation_30d")) and c["status"] == "met" and c,
        timeout=30,
    )
    issued_at = datetime.fromisoformat(issued["timeline"][-1]["occurred_at"])
    assert datetime.fromisoformat(met["stopped_at"]) == issued_at <= datetime.now(UTC)
    assert datetime.fromisoformat(met["started_at"]) == datetime.fromisoformat(case["received_at"])

    # 6. the URP closes it to the citizen, with the protocol number
    outcome = "Attestazione n. IA-2026-0042 consegnata allo sportello URP."
    closed = post(stack, f"/cases/{cid}/close", json={"outcome": outcome})
    assert closed["status"] == "closed" and closed["protocol"]["protocol_number"] == number
    mail = citizen_mail(stack, "chius")
    assert f"Protocollo n.: {number}" in body_of(mail)
    assert answer["answer"] not in body_of(mail)  # the PL's answer stays with the staff
    after = clock(stack, cid, "attestation_30d")
    assert after is not None and after["stopped_at"] == met["stopped_at"]
    events = [e["event"] for e in case_of(stack, cid)["timeline"]]
    assert events.index("protocolled") < events.index("forwarded")
    assert events[events.index("forwarded") :] == [
        "forwarded",
        "assigned",
        "inspection_scheduled",
        "inspection_reported",
        "office_answered",
        "assigned",
        "attestation_issued",
        "closed",
    ]


def test_a_forwarded_case_no_rule_places_is_back_with_the_urp_with_the_reason(
    stack: Stack,
) -> None:
    """The URP forwards one of its own services (SPID Point): no rule places it with another
    office; the case comes back to the URP's queue as `routing_failed`, with routing's reason,
    and the URP forwards it by choice (`to`)."""
    spid = APPLICATION | {
        "kind": "richiesta_informazioni",
        "category": "spid_point",
        "description": "Vorrei attivare lo SPID: quali documenti devo portare?",
    }
    cid = post(stack, "/cases", 201, json=spid)["case_id"]
    eventually(lambda: case_of(stack, cid)["status"] == "assigned")
    post(stack, f"/cases/{cid}/take-in-charge", json={"operator": "urp.casale"})
    post(stack, f"/cases/{cid}/forward", json={})
    back = eventually(
        lambda: (c := case_of(stack, cid))["status"] == "routing_failed" and c, timeout=30
    )
    assert back["organization"] == "urp"
    reason = back["timeline"][-1]["reason"]
    assert "no rule places the forwarded case with a competent office" in reason
    assert "'spid_point'" in reason

    def in_the_urps_queue() -> bool:  # the search index follows the store (eventually)
        query = {"tenant": "casale-monferrato", "status": "routing_failed", "organization": "urp"}
        found = httpx.get(f"{stack.url('intake')}/cases", params=query, timeout=10).json()
        return cid in [item["case_id"] for item in found["items"]]

    eventually(in_the_urps_queue, timeout=30)
    post(stack, f"/cases/{cid}/take-in-charge", json={"operator": "urp.casale"})
    post(stack, f"/cases/{cid}/forward", json={"to": "urbanistica"})
    eventually(lambda: case_of(stack, cid)["organization"] == "urbanistica", timeout=30)
