"""The triage-first workflow on the Case (issue 18, point 2): the front office takes the case
in charge, forwards it, gets the office's answer back and tells the citizen the outcome."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sportello_intake.adapters.publishing import to_public
from sportello_intake.domain import Case, Status, TransitionNotAllowed
from sportello_intake.follow import citizen_view
from sportello_shared.bus.relay import Outgoing
from sportello_shared.tenants import load_tenants

from .test_case import T0, registered_case

AT = [T0 + timedelta(hours=h) for h in range(1, 10)]


def with_contact_center() -> Case:
    case = registered_case()
    case.record_assignment("contact-center", "Contact Center", AT[0], None)
    case.take_in_charge("cc.anna", AT[1], AT[1], None)
    return case


def test_the_case_goes_to_the_office_and_comes_back_to_the_front_office() -> None:
    case = with_contact_center()
    case.forward(None, "cc.anna", AT[2], AT[2], None)
    assert (case.status, case.front_office) == (Status.FORWARDED, "contact-center")
    # routing's decision lands with the Reparto, the case stays forwarded (not "assigned")
    case.record_assignment("pm-reparto-5", "Reparto 5", AT[3], None)
    assert (case.status, case.organization) == (Status.FORWARDED, "pm-reparto-5")
    with pytest.raises(TransitionNotAllowed):  # the Reparto answers, it does not close
        case.close("fatto", "reparto5", AT[4], AT[4], None)
    case.record_office_answer("Rifiuti rimossi il 3 marzo", "reparto5", AT[4], AT[4], None)
    assert (case.status, case.organization) == (Status.OFFICE_ANSWERED, "contact-center")
    case.close("Il Reparto ha rimosso i rifiuti", "cc.anna", AT[5], AT[5], None)
    assert case.status is Status.CLOSED
    assert [e["event"] for e in case.timeline] == [
        "received",
        "assigned",
        "taken_in_charge",
        "forwarded",
        "assigned",
        "office_answered",
        "closed",
    ]
    assert case.timeline[5]["answer"] == "Rifiuti rimossi il 3 marzo"


def test_forwarded_again_from_the_office_the_front_office_stays_who_it_was() -> None:
    case = with_contact_center()
    case.forward("pm-reparto-2", "cc.anna", AT[2], AT[2], None)
    case.record_assignment("pm-reparto-2", "Reparto 2", AT[3], None)
    case.forward(None, "cc.anna", AT[4], AT[4], None)  # not the Reparto 2's: the rules'
    case.record_assignment("pm-reparto-5", "Reparto 5", AT[5], None)
    case.record_office_answer("fatto", "reparto5", AT[6], AT[6], None)
    assert (case.front_office, case.organization) == ("contact-center", "contact-center")


def test_the_answer_is_published_without_its_words_and_the_forward_names_the_choice() -> None:
    case = with_contact_center()
    case.forward("pm-reparto-2", "cc.anna", AT[2], AT[2], None)
    case.record_assignment("pm-reparto-2", "Reparto 2", AT[3], None)
    case.record_office_answer("Il condomino è stato sentito", "reparto2", AT[4], AT[4], None)
    events = case.collect_events()
    forwarded, answered = (to_public(e) for e in (events[3], events[5]))
    assert isinstance(forwarded, Outgoing) and isinstance(answered, Outgoing)
    assert forwarded.subject == "cases.torino.contact-center.forwarded"
    assert forwarded.event.data["to"] == "pm-reparto-2"
    assert answered.subject == "cases.torino.pm-reparto-2.office_answered"
    assert answered.event.data["answer_length"] == len("Il condomino è stato sentito")
    assert "condomino" not in json.dumps(answered.event.data)


def test_the_citizen_sees_the_reparto_but_not_the_way_back_to_the_front_office() -> None:
    tenants = load_tenants(Path(__file__).resolve().parents[4] / "deploy" / "tenants")
    case = with_contact_center()
    case.forward(None, "cc.anna", AT[2], AT[2], None)
    case.record_assignment("pm-reparto-5", "Reparto 5", AT[3], None)
    case.record_office_answer("Rifiuti rimossi", "reparto5", AT[4], AT[4], None)
    case.record_assignment("contact-center", "Contact Center", AT[5], None)  # routing's, back
    case.close("Il Reparto ha rimosso i rifiuti", "cc.anna", AT[6], AT[6], None)
    shown = [(s.step, s.detail) for s in citizen_view(case, tenants["torino"]).history]
    assert [step for step, _ in shown] == [
        "received",
        "assigned",
        "taken_in_charge",
        "assigned",
        "closed",
    ]
    assert shown[1][1] is not None and shown[1][1].startswith("Contact Center")
    assert shown[3][1] is not None and "Reparto 5" in shown[3][1]
    # a direct tenant's citizen reads every assignment, as before
    direct = tenants["torino"].model_copy(update={"workflow": "direct"})
    steps = [s.step for s in citizen_view(case, direct).history]
    assert steps.count("assigned") == 3
    # reopened, the case starts over: routing's assignment to the front office is shown
    case.reopen("Richiesta del cittadino accolta", "urp.bianchi", AT[7], AT[7], None)
    case.record_assignment("contact-center", "Contact Center", AT[8], None)
    again = [(s.step, s.detail) for s in citizen_view(case, tenants["torino"]).history][-2:]
    assert [step for step, _ in again] == ["reopened", "assigned"]
    assert again[1][1] is not None and again[1][1].startswith("Contact Center")


def test_forwarded_where_no_rule_places_it_the_case_is_back_with_the_front_office() -> None:
    """Routing finds no office for the forwarded case (its `case.routing_failed`): the case is
    not left `forwarded` to nobody but lands in the front office's queue of cases without an
    office, with the reason; the front office takes it in charge and forwards it by choice."""
    case = with_contact_center()
    case.forward(None, "cc.anna", AT[2], AT[2], None)
    reason = "no rule places the forwarded case with a competent office (category 'x')"
    case.record_routing_failure("contact-center", reason, AT[3], None)
    assert (case.status, case.organization) == (Status.ROUTING_FAILED, "contact-center")
    assert case.timeline[-1] | {"occurred_at": ""} == {
        "event": "routing_failed",
        "occurred_at": "",
        "actor": "routing-svc",
        "reason": reason,
    }
    case.take_in_charge("cc.anna", AT[4], AT[4], None)
    case.forward("pm-reparto-2", "cc.anna", AT[5], AT[5], None)
    case.record_assignment("pm-reparto-2", "Reparto 2", AT[6], None)
    assert (case.status, case.organization) == (Status.FORWARDED, "pm-reparto-2")
    # a failure arriving once the office has worked on it changes nothing of the status
    case.record_office_answer("fatto", "reparto2", AT[7], AT[7], None)
    case.record_routing_failure("contact-center", reason, AT[8], None)
    assert case.status is Status.OFFICE_ANSWERED
