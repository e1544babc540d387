"""The transition table itself: every row from every status, through the one generic path.

Allowed: exactly the row's event, one version more, the status the event names. Refused: a
409 problem (`TransitionNotAllowed`) naming the case's status and the steps possible from it,
in Italian and English. Rows added to the table are covered here without a new test.
"""

from __future__ import annotations

from typing import Any

import pytest
from sportello_intake.bodies import BODIES
from sportello_intake.domain import (
    ALLOWED,
    TRANSITIONS,
    Status,
    Transition,
    TransitionNotAllowed,
    possible_from,
)
from sportello_intake.wording import STEPS, step_of

from .test_lifecycle import NOW, PATHS, case_in

# a value for each field a command may carry
SAMPLES: dict[str, Any] = {
    "reason": "non competente",
    "outcome": "riparato",
    "request": "una foto del guasto",
    "means": "phone",
    "note": "richiamata",
    "duplicate_of": "TO-2026-000002",
    "message": "Il sopralluogo è fissato per lunedì",
    "to": "Ufficio Tributi, sig. Bianchi",
    "question": "La TARI si paga anche per il box?",
    "answer": "Sì, se è una pertinenza dell'abitazione",
    # Casale's procedures (issue 18 point 6)
    "protocol_number": "2026/000123",
    "scheduled_for": NOW,
    "inspector": "Agente Rossi, Polizia Locale",
    "report": "ab" * 32,
    "finding": "idoneo",
    "attestation_number": "IA-2026-0042",
    "issued_on": "2026-12-21",
}


def details(transition: Transition) -> dict[str, Any]:
    return {name: SAMPLES[name] for name in transition.fields}


@pytest.mark.parametrize("status", list(PATHS))
@pytest.mark.parametrize("command", list(TRANSITIONS))
def test_every_command_from_every_status(command: str, status: Status) -> None:
    transition = TRANSITIONS[command]
    case = case_in(status)
    version, timeline = case.version, len(case.timeline)
    if status in transition.allowed:
        case.perform(transition, "anna", NOW, NOW, None, **details(transition))
        [recorded] = case.collect_events()[-1:]
        assert type(recorded) is transition.event
        assert case.version == version + 1
        assert len(case.timeline) == timeline + 1
        assert case.timeline[-1]["actor"] == "anna"
        expected = transition.event.status
        if command == "resume":  # back where it was before the wait
            expected = Status.TAKEN_IN_CHARGE
        assert case.status is (expected or status)
        return
    with pytest.raises(TransitionNotAllowed) as refused:
        case.perform(transition, "anna", NOW, NOW, None, **details(transition))
    assert case.status is status and case.version == version
    problem = refused.value.problem_extra()
    assert problem["case_status"] == status.value
    possible = [step_of(a) for a, allowed in ALLOWED.items() if status in allowed]
    assert problem["possible_steps"] == possible
    assert transition.step not in possible
    assert f"non si può {STEPS[transition.action][1]}" in refused.value.localized("it")
    english = refused.value.localized("en")
    assert f"you cannot {STEPS[transition.action][2]}" in english
    for step in possible:
        assert f"({step})" in english


def test_each_row_has_its_words_its_body_and_a_distinct_route() -> None:
    assert len({t.step for t in TRANSITIONS.values()}) == len(TRANSITIONS)
    at_the_door = [t.command for t in TRANSITIONS.values() if not t.route]
    assert at_the_door == ["answer_on_the_spot"]  # `answer` of POST /cases
    for command, transition in TRANSITIONS.items():
        assert transition.action in STEPS, command
        assert STEPS[transition.action][0] == transition.step
        body = BODIES[command]
        assert set(transition.fields) <= set(body.model_fields), command
        assert transition.roles, command


def test_a_closed_case_offers_reopening_and_erasure_only() -> None:
    assert [step_of(a) for a in possible_from(Status.CLOSED)][:1] == ["reopen"]
    assert "admin/erasures" in [step_of(a) for a in possible_from(Status.CLOSED)]
    assert possible_from(Status.REJECTED) == ["erase the personal data of"]


# Casale's steps, written out (issue 18 points 2 and 6): who does each, from where. The URP
# (operator) protocols at any open status; the office inspects a case in its hands or forwarded
# to it (triage-first), not once it has answered; the attestation is issued in the hands of
# whoever has the case: the office (direct) or the URP back with the office's answer, never
# while the case is forwarded.
_OPEN = set(Status) - {Status.CLOSED, Status.REJECTED}
_INSPECTING = {Status.TAKEN_IN_CHARGE, Status.CITIZEN_CONTACTED, Status.FORWARDED}
_ATTESTING = {Status.TAKEN_IN_CHARGE, Status.CITIZEN_CONTACTED, Status.OFFICE_ANSWERED}
CASALE_STEPS: dict[str, tuple[set[Status], set[str]]] = {
    "protocol": (_OPEN, {"operator", "admin"}),
    "schedule_inspection": (_INSPECTING, {"office", "admin"}),
    "report_inspection": (_INSPECTING, {"office", "admin"}),
    "issue_attestation": (_ATTESTING, {"operator", "office", "partner", "admin"}),
}


@pytest.mark.parametrize("status", list(PATHS))
@pytest.mark.parametrize("command", list(CASALE_STEPS))
def test_casale_s_steps_from_every_status(command: str, status: Status) -> None:
    allowed, roles = CASALE_STEPS[command]
    transition = TRANSITIONS[command]
    assert set(transition.roles) == roles
    case = case_in(status)
    if status in allowed:
        case.perform(transition, "anna", NOW, NOW, None, **details(transition))
        assert case.status is (Status.RESOLVED if command == "issue_attestation" else status)
        return
    with pytest.raises(TransitionNotAllowed):
        case.perform(transition, "anna", NOW, NOW, None, **details(transition))
