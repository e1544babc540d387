"""End to end (issue 18 point 6), the services as processes on real NATS, on SQLite and on
PostgreSQL: Casale Monferrato's attestazione di idoneità alloggiativa from the citizen's
application to the attestation. The URP protocols it (the number from intake's own register),
routing hands it to the Polizia Locale, which schedules the site inspection, reports it with
the verbale uploaded as an attachment and issues the attestation; the legal 30-day clock stops
on the issuance, and the citizen's mails tell the protocol number, the inspection's date, that
the attestation is ready and, closing, the protocol again."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
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


def test_an_idoneita_alloggiativa_from_application_to_attestation(stack: Stack) -> None:
    case = post(stack, "/cases", 201, json=APPLICATION)
    cid, reference = case["case_id"], case["reference"]
    ack = citizen_mail(stack, "ricevut")
    assert reference in subject_of(ack)

    # the URP protocols the application: the number from intake's register, for this year
    protocolled = post(stack, f"/cases/{cid}/protocol", json={"actor": "urp.casale"})
    number = protocolled["protocol"]["protocol_number"]
    year = datetime.now(ZoneInfo("Europe/Rome")).year
    assert number.startswith(f"{year}/")
    mail = citizen_mail(stack, "protocollat")
    assert number in subject_of(mail) and number in body_of(mail)
    assert "30 giorni" in body_of(mail)

    # the 30-day legal clock runs from receipt; routing hands the case to the Polizia Locale
    running = eventually(lambda: clock(stack, cid, "attestation_30d"), timeout=30)
    assert running["status"] == "running"
    eventually(lambda: case_of(stack, cid)["organization"] == "polizia-locale", timeout=30)
    post(stack, f"/cases/{cid}/take-in-charge", json={"operator": "pl.bianchi"})

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

    today = datetime.now(ZoneInfo("Europe/Rome")).date()
    attestation = {"attestation_number": "IA-2026-0042", "issued_on": today.isoformat()}
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

    outcome = "Attestazione n. IA-2026-0042 consegnata allo sportello URP."
    closed = post(stack, f"/cases/{cid}/close", json={"outcome": outcome})
    assert closed["status"] == "closed" and closed["protocol"]["protocol_number"] == number
    mail = citizen_mail(stack, "chius")
    assert f"Protocollo n.: {number}" in body_of(mail)
    after = clock(stack, cid, "attestation_30d")
    assert after is not None and after["stopped_at"] == met["stopped_at"]
    events = [e["event"] for e in case_of(stack, cid)["timeline"]]
    assert events.index("protocolled") < events.index("inspection_scheduled")
    assert events[-4:] == [
        "inspection_scheduled",
        "inspection_reported",
        "attestation_issued",
        "closed",
    ]
