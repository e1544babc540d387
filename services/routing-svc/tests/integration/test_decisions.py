"""Decisions on the bus: received, reassignment chains, reopen, versions, manual reassignment."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext

from .conftest import classify, decisions, decline, nth_decision, receive, reopen


async def test_a_pisa_parking_complaint_is_assigned_to_pisamo(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = await receive(js, "pisa", "parcheggi")

    subject, event = await nth_decision(js, case_id, 1)
    assert subject == "cases.pisa.pisamo.assigned"
    assert event.organization == "pisamo"
    assert event.data["rule_id"] == "parcheggi" and event.data["rule_version"] == 1
    assert "Pisamo S.r.l. is competent" in event.data["reasons"]

    view = (await client.get(f"/assignments/{case_id}")).json()
    assert view["organization"] == "pisamo"
    assert view["history"][0]["cause"] == "received"


@pytest.mark.usefixtures("app")
async def test_an_unknown_category_fails_to_triage(js: JetStreamContext) -> None:
    case_id = await receive(js, "torino", "ufo_sightings")
    subject, event = await nth_decision(js, case_id, 1)
    assert subject == "cases.torino.contact-center.routing_failed"
    assert event.data["triage_organization"] == "contact-center"
    assert "ufo_sightings" in event.data["reason"]


@pytest.mark.usefixtures("app")
async def test_a_located_report_in_the_port_goes_to_the_port_authority(
    js: JetStreamContext,
) -> None:
    case_id = await receive(js, "pisa", "segnalazioni", description="Rifiuti", at=(43.68, 10.276))
    _, event = await nth_decision(js, case_id, 1)
    assert event.organization == "port-authority"
    assert event.data["rule_id"] == "segnalazioni-nel-porto"


@pytest.mark.usefixtures("client")
async def test_keywords_match_the_description_routing_asks_intake_for_on_its_own_subject(
    js: JetStreamContext, intake_answers: list[str]
) -> None:
    """The event carries no description: routing asks intake (as `routing`) and still routes
    a parking complaint filed under a generic category by its keywords."""
    case_id = await receive(js, "pisa", "segnalazioni", description="Parcometro rotto")
    _, event = await nth_decision(js, case_id, 1)
    assert event.organization == "pisamo"
    assert "personal.pisa.routing" in intake_answers
    assert {s.rsplit(".", 1)[1] for s in intake_answers} == {"routing"}


async def test_each_organization_that_declines_passes_the_case_to_the_next_then_triage(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = await receive(js, "pisa", "segnalazioni", description="Parcometro e avviso TARI")
    chain = [(await nth_decision(js, case_id, 1))[1]]
    for n, organization in enumerate(["sepi", "pisamo", "urp"], start=2):
        assert chain[-1].organization == organization
        await decline(js, "pisa", case_id, organization, n)
        chain.append((await nth_decision(js, case_id, n))[1])

    assert [e.type.split(".")[3] for e in chain] == [
        "assigned",
        "assigned",
        "assigned",
        "routing_failed",
    ]
    assert [e.organization for e in chain] == ["sepi", "pisamo", "urp", "urp"]
    assert "sepi declined the case" not in chain[1].data["reasons"]  # reasons of the match only
    assert chain[3].data["reason"] == (
        "no competent organization left after pisamo, sepi, urp declined"
    )
    view = (await client.get(f"/assignments/{case_id}")).json()
    assert view["declined"] == ["sepi", "pisamo", "urp"]
    outcomes = [h["outcome"] for h in view["history"]]
    assert outcomes == [
        "assigned",
        "declined",
        "assigned",
        "declined",
        "assigned",
        "declined",
        "routing_failed",
    ]


async def test_a_reopened_case_goes_back_to_the_last_organization(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = await receive(js, "pisa", "segnalazioni", description="Parcometro rotto")
    assert (await nth_decision(js, case_id, 1))[1].organization == "pisamo"
    await decline(js, "pisa", case_id, "pisamo", 2)
    assert (await nth_decision(js, case_id, 2))[1].organization == "urp"

    await reopen(js, "pisa", case_id, "urp", 3)
    subject, event = await nth_decision(js, case_id, 3)
    assert subject == "cases.pisa.urp.assigned"
    assert event.data["rule_id"] == "reopen"
    assert "back to URP / Numero Unico 050.7062" in event.data["reasons"][0]
    view = (await client.get(f"/assignments/{case_id}")).json()
    assert view["history"][-1]["cause"] == "reopened"


async def test_a_case_classified_by_the_triage_is_routed_again_on_its_category(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    """A voicemail lands with Torino's contact centre as `da_classificare`; once the call-taker
    classifies it, the rules say the competent Reparto: Torino being triage-first, the Contact
    Center keeps it (to take it in charge, then forward it), and says which Reparto and why."""
    case_id = await receive(js, "torino", "da_classificare", kind="segnalazione")
    subject, _ = await nth_decision(js, case_id, 1)
    assert subject == "cases.torino.contact-center.routing_failed"

    await classify(js, "torino", case_id, "contact-center", 2, "decoro_pulizia")
    subject, event = await nth_decision(js, case_id, 2)
    assert subject == "cases.torino.contact-center.assigned"
    assert event.data["rule_id"] == "triage-first"
    assert "Reparto 5" in event.data["reasons"][1] and "decoro_pulizia" in event.data["reasons"][1]
    view = (await client.get(f"/assignments/{case_id}")).json()
    assert [h["outcome"] for h in view["history"]] == ["routing_failed", "classified", "assigned"]
    assert view["history"][-1]["cause"] == "classified"

    # the same classification delivered again (another message id): no second decision
    await classify(js, "torino", case_id, "contact-center", 2, "decoro_pulizia")
    await reopen(js, "torino", case_id, "pm-reparto-5", 3)  # a later event, to know it was read
    await nth_decision(js, case_id, 3)
    assert len(await decisions(js, case_id)) == 3


def _version_with(rules: dict[str, Any], extra_keyword: str) -> dict[str, Any]:
    """The current rules with one more keyword on the parking rule: a real new version."""
    changed = dict(rules)
    changed["rules"] = [
        r | {"keywords": [*r["keywords"], extra_keyword]} if r["id"] == "parole-parcheggi" else r
        for r in rules["rules"]
    ]
    return {k: changed[k] for k in ("default", "areas", "rules")}


async def test_a_decision_under_version_3_still_says_3_after_version_4(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    for keyword in ("stallo", "posteggio"):  # versions 2 and 3
        current = (await client.get("/rules/pisa")).json()
        published = await client.put("/rules/pisa", json=_version_with(current, keyword))
        assert published.status_code == 200, published.text
    assert (await client.get("/rules/pisa")).json()["version"] == 3

    case_id = await receive(js, "pisa", "segnalazioni", description="Il posteggio è occupato")
    _, under_3 = await nth_decision(js, case_id, 1)
    assert (under_3.organization, under_3.data["rule_version"]) == ("pisamo", 3)

    current = (await client.get("/rules/pisa")).json()
    fourth = await client.put("/rules/pisa", json=_version_with(current, "autorimessa"))
    assert fourth.json()["version"] == 4

    view = (await client.get(f"/assignments/{case_id}")).json()
    assert view["history"][0]["rule_version"] == 3
    assert [e.data["rule_version"] for _, e in await decisions(js, case_id)] == [3]
    third = (await client.get("/rules/pisa/versions/3")).json()
    assert (
        "posteggio" in next(r for r in third["rules"] if r["id"] == "parole-parcheggi")["keywords"]
    )
    assert "autorimessa" not in str(third)
    later = await receive(js, "pisa", "segnalazioni", description="Autorimessa chiusa")
    assert (await nth_decision(js, later, 1))[1].data["rule_version"] == 4


async def test_an_operator_reassigns_by_hand_and_the_bus_says_who(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = await receive(js, "pisa", "parcheggi")
    await nth_decision(js, case_id, 1)

    response = await client.post(
        f"/assignments/{case_id}/reassign",
        json={"organization": "patrimonio", "actor": "operatore.rossi", "reason": "è un box"},
    )
    assert response.status_code == 200, response.text
    subject, event = await nth_decision(js, case_id, 2)
    assert subject == "cases.pisa.patrimonio.assigned"
    assert event.data["rule_id"] == "manual"
    assert event.data["actor"] == "developer"  # the token's subject, never the body's
    assert event.data["rule_version"] == 1
    # the operator's words stay in routing (the staff read them); the bus says there were some
    assert event.data["reasons"] == ["reassigned by developer"]
    assert (event.data["has_reason"], event.data["reason_length"]) == (True, len("è un box"))
    again = await client.post(
        f"/assignments/{case_id}/reassign",
        json={"organization": "patrimonio", "actor": "operatore.rossi", "reason": "è un box"},
    )
    assert again.status_code == 200  # the double click: the same answer, no second decision
    history = again.json()["history"]
    assert len(history) == 2 and history[-1]["organization"] == "patrimonio"
    assert history[-1]["reasons"] == ["reassigned by developer", "è un box"]

    refused = await client.post(
        f"/assignments/{case_id}/reassign",
        json={"organization": "nessuno", "actor": "operatore.rossi", "reason": "x"},
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    missing = await client.post(
        "/assignments/no-such-case/reassign",
        json={"organization": "urp", "actor": "operatore.rossi", "reason": "x"},
    )
    assert missing.status_code == 404


async def test_a_call_answered_on_the_spot_is_not_routed(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    """Closed at registration (issue 18): nobody to hand it to, no clock beyond the answer."""
    answered = await receive(js, "pisa", "tributi", answered_on_the_spot=True)
    later = await receive(js, "pisa", "parcheggi")
    await nth_decision(js, later, 1)  # the one consumer got past the answered call
    assert await decisions(js, answered) == []
    assert (await client.get(f"/assignments/{answered}")).status_code == 404
