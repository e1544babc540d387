"""End to end (issue 18, point 2), the services as processes on real NATS, on SQLite and on
PostgreSQL: Torino's two-stage journey. The Contact Center gets the case first, takes it in
charge (the citizen is told the Contact Center has it), forwards it to the Reparto the rules
choose, gets the Reparto's answer back (staff only) and closes it with the outcome, which the
citizen gets by mail from the Contact Center; the clocks follow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import httpx
import pytest
from sportello_devstack.mailsink import read_mails
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_devstack.testing import stack_on_store, status_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CITIZEN = {"name": "Lucia Ferrero", "email": "lucia.ferrero@example.org"}
CONTACT_CENTER = "Contact Center \u2013 Corpo di Polizia Municipale"
REPARTO = "Corpo di Polizia Municipale \u2013 Reparto 6"
ANSWER = "Sentito l'agente: la multa era regolare, verbale n. 4411 confermato."
OUTCOME = "Abbiamo verificato con il Reparto competente: la sanzione è stata confermata."


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with stack_on_store(
        request,
        tmp_path_factory.mktemp(f"torino-two-stages-{request.param}"),
        "to2",
        extra_env={"RELAY_POLL_INTERVAL": "0.05"},
    ) as running:
        yield running


def post(stack: Stack, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = httpx.post(f"{stack.url('intake')}{path}", json=body, timeout=10)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def case(stack: Stack, case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{stack.url('intake')}/cases/{case_id}", timeout=10).json()
    return found


def routed(stack: Stack, case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(
        f"{stack.url('routing')}/assignments/{case_id}", timeout=10
    ).json()
    return found


def mails_to(stack: Stack, address: str, subject: str = "") -> list[Message]:
    return [
        m
        for m in read_mails(stack.mail_dir)
        if address in (m["To"] or "") and subject in str(make_header(decode_header(m["Subject"])))
    ]


def body_of(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(mail.get_content_charset() or "utf-8")


def clocks(stack: Stack, case_id: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{stack.url('sla')}/cases/{case_id}/clocks", timeout=10)
    return {clock["standard"]: clock for clock in response.json()}


def test_torino_contact_center_then_reparto_then_the_citizen(stack: Stack) -> None:
    registered = post(
        stack,
        "/cases",
        {
            "tenant": "torino",
            "kind": "reclamo",
            "channel": "email",
            "category": "reclami_polizia_municipale",
            "description": "Reclamo su una multa che ritengo ingiusta",
            "citizen": CITIZEN,
        },
        status=201,
    )
    cid = registered["case_id"]

    # 1. routing hands it to the Contact Center, saying which Reparto the rules would choose
    first = eventually(lambda: (c := case(stack, cid))["status"] == "assigned" and c)
    assert first["organization"] == "contact-center"
    decision = routed(stack, cid)["history"][0]
    assert decision["rule_id"] == "triage-first" and "Reparto 6" in decision["reasons"][1]

    # 2. the Contact Center takes it in charge: the citizen is told the Contact Center has it
    post(stack, f"/cases/{cid}/take-in-charge", {"operator": "cc.marco"})
    (taken,) = eventually(lambda: mails_to(stack, CITIZEN["email"], "in carico"))
    assert f"Ufficio che se ne occupa: {CONTACT_CENTER}" in body_of(taken)
    assert "Reparto" not in body_of(taken)
    eventually(lambda: status_of(clocks(stack, cid), "first_contact_5wd") == "met")

    # 3. forwarded to the Reparto the rules choose; the Reparto is written to with the case
    forwarded = post(stack, f"/cases/{cid}/forward", {"actor": "cc.marco"})
    assert forwarded["status"] == "forwarded"
    with_reparto = eventually(
        lambda: (c := case(stack, cid))["organization"] == "pm-reparto-6" and c
    )
    assert with_reparto["status"] == "forwarded"  # the Reparto answers, it does not close
    (to_reparto,) = eventually(lambda: mails_to(stack, "pm-reparto-6@torino.sportello.example"))
    assert f"Ve la inoltra {CONTACT_CENTER}" in body_of(to_reparto)  # to answer, not to close
    refused = httpx.post(
        f"{stack.url('intake')}/cases/{cid}/close", json={"outcome": "x"}, timeout=10
    )
    assert refused.status_code == 409 and "office-answer" in refused.text

    # 4. the Reparto answers the Contact Center (staff only): the case is the Contact Center's
    answered = post(stack, f"/cases/{cid}/office-answer", {"answer": ANSWER, "actor": "rep6"})
    assert (answered["status"], answered["organization"]) == ("office_answered", "contact-center")
    assert answered["timeline"][-1]["answer"] == ANSWER
    back = eventually(lambda: (r := routed(stack, cid))["organization"] == "contact-center" and r)
    assert [h["cause"] for h in back["history"]] == ["received", "forwarded", "office_answered"]
    # intake has it back at the Contact Center too (it applies routing's decision a moment later)
    eventually(lambda: case(stack, cid)["timeline"][-1]["event"] == "assigned")
    assert clocks(stack, cid)["complaint_answer_30d"]["status"] == "running"  # across stages
    contact_center_mails = eventually(
        lambda: [
            m
            for m in mails_to(stack, "contactcenterpm@comune.torino.it")
            if "risposto" in body_of(m)
        ]
    )
    assert "comunicate l'esito al cittadino" in body_of(contact_center_mails[0])
    assert ANSWER not in body_of(contact_center_mails[0])  # the answer is read in the file

    # 5. the Contact Center closes it with the outcome: the citizen's mail, from the Contact Center
    post(stack, f"/cases/{cid}/close", {"outcome": OUTCOME, "actor": "cc.marco"})
    (closing,) = eventually(lambda: mails_to(stack, CITIZEN["email"], "chius"))
    text = body_of(closing)
    assert OUTCOME in text and f"Ufficio che se ne è occupato: {CONTACT_CENTER}" in text
    eventually(lambda: status_of(clocks(stack, cid), "complaint_answer_30d") == "met")
    assert [e["event"] for e in case(stack, cid)["timeline"]] == [
        "received",
        "assigned",
        "taken_in_charge",
        "forwarded",
        "assigned",
        "office_answered",
        "assigned",
        "closed",
    ]

    time.sleep(1.0)  # anything sent twice, or the answer leaking, would be here by now
    to_citizen = mails_to(stack, CITIZEN["email"])
    assert len(to_citizen) == 3  # received, taken in charge, closed
    assert not any("4411" in body_of(m) for m in to_citizen)  # the Reparto's words stay inside
    assert not any(REPARTO in body_of(m) for m in to_citizen)
