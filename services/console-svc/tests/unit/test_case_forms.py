"""The case page's forms: only those of steps possible in the case's status for the user's
role (intake's transition table, what a refusal's `possible_steps` lists), and which of them
are one button rather than a collapsed form."""

from __future__ import annotations

import pytest
from sportello_console.identity import StaffUser
from sportello_console.pages.case import ACTIONS, ONE_CLICK, offered_forms
from sportello_console.procedure_forms import load_procedure_steps
from sportello_intake.domain.status import Status
from sportello_intake.domain.transitions import TRANSITIONS

from .test_console_rules import ROOT
from .test_triage_rules import ADMIN, AUDITOR, CALL_TAKER, OFFICE, SUPERVISOR

PROCEDURES = load_procedure_steps(ROOT / "deploy" / "tenants")
CASALE_OFFICE = StaffUser("p", "Polizia Locale", "office", "casale-monferrato", "polizia-locale")
CASALE_URP = StaffUser("u", "URP", "operator", "casale-monferrato")

# intake's steps by the console form's name (the forms posting to intake's routes)
STEPS = {
    name: t
    for name, action in ACTIONS.items()
    for t in TRANSITIONS.values()
    if action.service == "intake" and action.path == f"/cases/{{id}}/{t.step}"
}


USERS = [OFFICE, CALL_TAKER, SUPERVISOR, ADMIN, AUDITOR, CASALE_OFFICE, CASALE_URP]


@pytest.mark.parametrize("user", USERS, ids=lambda u: f"{u.tenant}-{u.kind}")
@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("category", ["reclami_polizia_municipale", "da_classificare",
                                      "attestazione_idoneita_alloggiativa"])  # fmt: skip
def test_every_form_offered_is_a_step_intake_allows_now_to_that_role(
    user: StaffUser, status: str, category: str
) -> None:
    role = {user.role}
    tenant = user.tenant or "torino"
    office = user.organization or ("pm-reparto-6" if tenant == "torino" else "polizia-locale")
    case = {"tenant": tenant, "status": status, "organization": office, "category": category,
            "inspection": {"status": "reported"}}  # fmt: skip
    actions, acts = offered_forms(user, case, PROCEDURES.offered(user, case), False)
    for name in actions + acts:
        step = STEPS.get(name)
        if step is None:
            continue  # routing's reassignment, notify's acknowledgment: theirs to check
        assert Status(status) in step.allowed, (name, status)
        assert step.may(role), (name, user.kind)


def test_a_closed_case_offers_an_office_nothing_and_the_auditor_never_anything() -> None:
    assert OFFICE.actions("closed", "pm-reparto-6") == []
    assert OFFICE.acts("closed", "pm-reparto-6") == ["note"]
    assert OFFICE.actions("assigned", "pm-reparto-1") == []  # another office's case
    for status in Status:
        assert AUDITOR.actions(status.value, None) == AUDITOR.acts(status.value, None) == []


def test_only_the_steps_with_nothing_to_fill_in_are_single_buttons() -> None:
    assert {"take-in-charge", "resume", "on-call-acknowledge"} == ONE_CLICK
