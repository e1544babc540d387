"""The triage's corrections and the on-call acknowledgment: who is offered them, in which statuses,
and every command of intake's transition table has its form on the case page (issue 18 point 9),
offered only where intake's table allows it."""

from __future__ import annotations

from sportello_console.identity import ACTIONS_BY_STATUS, ACTS_BY_STATUS, StaffUser
from sportello_console.pages.case import ACTIONS
from sportello_console.pages.triage import triage_body
from sportello_intake.domain.transitions import CONTACT_CENTRE, TRANSITIONS

OFFICE = StaffUser("u", "Reparto 6", "office", "torino", "pm-reparto-6")
CALL_TAKER = StaffUser("c", "Centralino", "operator", "torino", operator_code="OP-1")
SUPERVISOR = StaffUser("s", "URP", "operator", "torino", supervisor=True)
ADMIN = StaffUser("a", "Admin", "admin")
AUDITOR = StaffUser("r", "Revisore", "auditor")


def test_only_the_triage_recategorises_and_rejects() -> None:
    for user in (CALL_TAKER, SUPERVISOR, ADMIN):
        assert "reject" in user.actions("received", None)
        assert "recategorise" in user.actions("assigned", "pm-reparto-6")
        assert "recategorise" in user.actions("taken_in_charge", "pm-reparto-6")
        assert "reject" not in user.actions("assigned", "pm-reparto-6")  # past the door
        assert "recategorise" not in user.actions("waiting_for_citizen", "pm-reparto-6")
        assert "recategorise" not in user.actions("closed", "pm-reparto-6")
    for status in ("received", "assigned", "taken_in_charge"):
        assert not {"reject", "recategorise"} & set(OFFICE.actions(status, "pm-reparto-6"))
        assert AUDITOR.actions(status, "pm-reparto-6") == []


def test_the_on_call_acknowledgment_as_notify_s_require_act() -> None:
    assert CALL_TAKER.may_act_on("ufficio-tecnico") and ADMIN.may_act_on(None)
    assert OFFICE.may_act_on("pm-reparto-6")
    assert not OFFICE.may_act_on("pm-reparto-1") and not OFFICE.may_act_on(None)
    assert not AUDITOR.may_act_on("pm-reparto-6")


def test_an_empty_kind_keeps_the_case_s_own() -> None:
    assert triage_body("recategorise", {"category": "x", "kind": ""}) == {"category": "x"}
    assert triage_body("recategorise", {"category": "x", "kind": "reclamo"})["kind"] == "reclamo"
    assert triage_body("reject", {"reason": "112"}) == {"reason": "112"}


def test_every_routed_command_of_intake_s_table_has_its_form_where_intake_allows_it() -> None:
    offered = {**ACTIONS_BY_STATUS, **ACTS_BY_STATUS}
    by_path = {a.path: name for name, a in ACTIONS.items() if a.service == "intake"}
    for transition in (t for t in TRANSITIONS.values() if t.route):
        name = by_path.get(f"/cases/{{id}}/{transition.step}")
        assert name is not None, f"no console form for {transition.step}"
        assert name in offered, name
        allowed = {s.value for s in transition.allowed}
        assert offered[name] <= allowed, (name, offered[name] - allowed)
        fields = set(ACTIONS[name].fields)
        assert fields <= set(transition.fields), (name, fields - set(transition.fields))
        if transition.roles <= CONTACT_CENTRE:  # the triage's: never offered to an office
            for status in offered[name]:
                assert name not in OFFICE.actions(status, "pm-reparto-6"), name
                assert name not in OFFICE.acts(status, "pm-reparto-6"), name
