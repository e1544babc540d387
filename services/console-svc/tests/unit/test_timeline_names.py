"""The case page's timeline names each office, never shows its code (issue 18/16's leftover)."""

from __future__ import annotations

from typing import Any

from sportello_console.pages.common import Names
from sportello_console.routing_words import staff_reason
from sportello_console.timeline import named_assignment, named_timeline
from sportello_routing.domain.triage_first import back_to_front_office
from sportello_shared.tenants import load_tenants

from .test_console_rules import ROOT

TENANTS = load_tenants(ROOT / "deploy" / "tenants")
NAMES = Names(TENANTS).organization
REPARTO_6 = "Corpo di Polizia Municipale \u2013 Reparto 6"  # the configuration's en dash


def forwarded_and_answered() -> dict[str, Any]:
    """Torino, triage-first: the Contact Center forwards to Reparto 6, which answers; the case
    is back with the Contact Center (intake's file: codes in the timeline)."""
    return {
        "tenant": "torino",
        "organization": "contact-center",
        "organization_name": "Contact Center",
        "timeline": [
            {"event": "received", "actor": "OP-1"},
            {"event": "assigned", "actor": "routing-svc", "organization": "contact-center"},
            {"event": "forwarded", "actor": "OP-1", "to": "pm-reparto-6"},
            {"event": "assigned", "actor": "routing-svc", "organization": "pm-reparto-6"},
            {"event": "office_answered", "actor": "pm", "answer": "Fatto"},
            {"event": "assigned", "actor": "routing-svc", "organization": "contact-center"},
            {"event": "transferred", "actor": "OP-1", "to": "il geom. Rossi"},
        ],
    }


def test_a_forwarded_case_names_the_office_it_went_to_from_the_configuration() -> None:
    entries = named_timeline(forwarded_and_answered(), None, NAMES)
    assert [e.get("organization_name") for e in entries if e["event"] == "assigned"] == [
        "Contact Center",
        REPARTO_6,
        "Contact Center",
    ]
    forwarded = next(e for e in entries if e["event"] == "forwarded")
    assert forwarded["to_name"] == REPARTO_6
    assert forwarded["to"] == "pm-reparto-6"  # intake's file is kept as it is
    transferred = entries[-1]
    assert transferred["to_name"] == "il geom. Rossi"  # a person, not an organization
    assert "organization_name" not in entries[0]


def test_routing_s_directory_names_come_before_the_configuration_s() -> None:
    history = [
        {"organization": "contact-center", "organization_name": "Contact Center"},
        {"organization": "pm-reparto-6", "organization_name": "PM Reparto 6 (Barriera)"},
    ]
    entries = named_timeline(forwarded_and_answered(), {"history": history}, NAMES)
    assert entries[3]["organization_name"] == "PM Reparto 6 (Barriera)"
    assert entries[2]["to_name"] == "PM Reparto 6 (Barriera)"


def test_an_office_nobody_knows_keeps_its_code() -> None:
    case = {"tenant": "torino", "organization": None, "organization_name": None,
            "timeline": [{"event": "assigned", "organization": "chiuso-nel-2020"}]}  # fmt: skip
    assert named_timeline(case, None, NAMES)[0]["organization_name"] == "chiuso-nel-2020"
    elsewhere = {**case, "tenant": "nessuno"}
    assert named_timeline(elsewhere, None, NAMES)[0]["organization_name"] == "chiuso-nel-2020"


def test_routing_s_reasons_name_the_office_that_answered() -> None:
    front = TENANTS["torino"].organization("contact-center")
    assert front is not None
    answered = back_to_front_office("pm-reparto-6", front, 3)  # routing's own decision
    history = [
        {"organization": "pm-reparto-6", "organization_name": REPARTO_6, "reasons": ["x"]},
        {"organization": front.id, "organization_name": front.name,
         "reasons": list(answered.reasons)},
        {"organization": "pm-reparto-1", "reasons": ["sepi declined the case"]},
    ]  # fmt: skip
    named = named_assignment(forwarded_and_answered(), {"history": history}, NAMES)
    assert named is not None
    (reason,) = named["history"][1]["reasons"]
    assert reason.startswith(f"{REPARTO_6} answered: back to {front.name}")
    assert staff_reason(reason, "it").startswith(f"{REPARTO_6} ha risposto: torna a")
    assert "pm-reparto-6" not in str(named["history"][1])
    assert named["history"][2]["reasons"] == ["sepi declined the case"]  # not Torino's: as is
    assert named["history"][0]["reasons"] == ["x"]
    assert named_assignment(forwarded_and_answered(), None, NAMES) is None
