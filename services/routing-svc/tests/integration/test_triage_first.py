"""Routing in a triage-first tenant (issue 18, point 2): Torino's Contact Center gets every
case first, forwards it to the Reparto (the rules' or its own choice) and gets it back with the
Reparto's answer. Pisa (direct) is `test_decisions.py`'s."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from nats.js import JetStreamContext
from sportello_contracts.case_triage import CaseForwarded, CaseOfficeAnswered
from sportello_contracts.cases import text_facts

from .conftest import _publish, nth_decision, receive


async def forward(
    js: JetStreamContext,
    case_id: str,
    version: int,
    to: str | None,
    tenant: str = "torino",
    front: str = "contact-center",
) -> None:
    payload = CaseForwarded(
        case_id=case_id, reference="XX", occurred_at=datetime.now(UTC), actor="cc.anna", to=to
    )
    await _publish(js, tenant, front, payload, version)


async def answer(js: JetStreamContext, case_id: str, office: str, version: int) -> None:
    payload = CaseOfficeAnswered(
        case_id=case_id,
        reference="XX",
        occurred_at=datetime.now(UTC),
        actor="reparto",
        **text_facts("answer", "rifiuti rimossi"),
    )
    await _publish(js, "torino", office, payload, version)


async def test_the_contact_center_gets_it_first_forwards_it_and_gets_it_back(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = await receive(js, "torino", "decoro_pulizia", description="Rifiuti in via Po")
    subject, first = await nth_decision(js, case_id, 1)
    assert subject == "cases.torino.contact-center.assigned"
    assert first.data["rule_id"] == "triage-first"
    assert first.data["reasons"][0].startswith("workflow triage-first: Contact Center")
    assert "Reparto 5" in first.data["reasons"][1]

    await forward(js, case_id, 3, None)  # by the rules: the Reparto they choose
    subject, second = await nth_decision(js, case_id, 2)
    assert subject == "cases.torino.pm-reparto-5.assigned"
    assert second.data["rule_id"] == "decoro_pulizia"
    assert second.data["actor"] == "cc.anna"
    assert second.data["reasons"][0] == (
        "forwarded by the front office to the office the rules choose"
    )

    await answer(js, case_id, "pm-reparto-5", 4)
    subject, third = await nth_decision(js, case_id, 3)
    assert subject == "cases.torino.contact-center.assigned"
    assert third.data["rule_id"] == "office-answered"
    assert third.data["reasons"][0].startswith("pm-reparto-5 answered: back to Contact Center")

    view = (await client.get(f"/assignments/{case_id}")).json()
    causes = [h["cause"] for h in view["history"]]
    assert causes == ["received", "forwarded", "office_answered"]
    assert view["organization"] == "contact-center"


async def test_the_contact_center_may_choose_the_reparto_itself(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = await receive(js, "torino", "decoro_pulizia", description="Rifiuti in via Po")
    await nth_decision(js, case_id, 1)
    await forward(js, case_id, 3, "pm-reparto-2")
    subject, chosen = await nth_decision(js, case_id, 2)
    assert subject == "cases.torino.pm-reparto-2.assigned"
    assert chosen.data["rule_id"] == "forwarded"
    # a choice that takes no cases (the URP, coordinated with the Contact Center): the rules'
    await forward(js, case_id, 5, "urp")
    subject, fallback = await nth_decision(js, case_id, 3)
    assert subject == "cases.torino.pm-reparto-5.assigned"
    assert fallback.data["reasons"][0].startswith("forwarded to 'urp', not an organization")
    view = (await client.get(f"/assignments/{case_id}")).json()
    assert view["organization"] == "pm-reparto-5"


async def test_casale_s_urp_forwards_the_housing_attestation_to_the_polizia_locale(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    """Casale (triage-first, seed 001): the application goes to the URP, which forwards it to
    the Polizia Locale by the rules (it inspects and sends the verbale back)."""
    case_id = await receive(
        js, "casale-monferrato", "attestazione_idoneita_alloggiativa", kind="richiesta_intervento"
    )
    subject, first = await nth_decision(js, case_id, 1)
    assert subject == "cases.casale-monferrato.urp.assigned"
    assert "Polizia Locale" in first.data["reasons"][1]
    await forward(js, case_id, 4, None, "casale-monferrato", "urp")
    subject, second = await nth_decision(js, case_id, 2)
    assert subject == "cases.casale-monferrato.polizia-locale.assigned"
    assert second.data["rule_id"] == "attestazione_idoneita_alloggiativa"
    view = (await client.get(f"/assignments/{case_id}")).json()
    assert view["organization"] == "polizia-locale"


async def test_a_forwarded_case_no_rule_places_fails_back_to_the_front_office_with_why(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    """The URP forwards one of its own services (SPID): no rule places it with another office,
    so routing says so (`case.routing_failed` to the URP, its reason) instead of nothing."""
    case_id = await receive(js, "casale-monferrato", "spid_point", kind="richiesta_informazioni")
    await nth_decision(js, case_id, 1)
    await forward(js, case_id, 4, None, "casale-monferrato", "urp")
    subject, failed = await nth_decision(js, case_id, 2)
    assert subject == "cases.casale-monferrato.urp.routing_failed"
    assert failed.data["triage_organization"] == "urp"
    reason = failed.data["reason"]
    assert reason.startswith("forwarded by the front office to the office the rules choose; ")
    assert "no rule places the forwarded case with a competent office" in reason
    assert "(category 'spid_point'" in reason and "or to answer the citizen itself" in reason
    view = (await client.get(f"/assignments/{case_id}")).json()
    assert [h["cause"] for h in view["history"]] == ["received", "forwarded"]
    assert view["history"][-1]["outcome"] == "routing_failed"
    # the URP then forwards it by choice: to the office it names
    await forward(js, case_id, 6, "polizia-locale", "casale-monferrato", "urp")
    subject, chosen = await nth_decision(js, case_id, 3)
    assert subject == "cases.casale-monferrato.polizia-locale.assigned"
    assert chosen.data["rule_id"] == "forwarded"
