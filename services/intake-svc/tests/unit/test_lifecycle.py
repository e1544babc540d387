"""Every lifecycle command, from every status: allowed or refused, never anything else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sportello_intake.domain import Case, Status, TransitionNotAllowed

from .test_case import registered_case

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)

Command = Callable[[Case], None]
COMMANDS: dict[str, Command] = {
    "take_in_charge": lambda c: c.take_in_charge("anna", NOW, NOW, None),
    "contact_citizen": lambda c: c.contact_citizen("phone", "richiamata", "anna", NOW, NOW, None),
    "wait_for_citizen": lambda c: c.wait_for_citizen("foto del guasto", "anna", NOW, NOW, None),
    "resume": lambda c: c.resume("anna", NOW, NOW, None),
    "resolve": lambda c: c.resolve("riparato", "anna", NOW, NOW, None),
    "close": lambda c: c.close("riparato", "anna", NOW, NOW, None),
    "reopen": lambda c: c.reopen("non è riparato", "anna", NOW, NOW, None),
    "request_reassignment": lambda c: c.request_reassignment(
        "non competente", "anna", NOW, NOW, None
    ),
    "reject": lambda c: c.reject("emergenza: chiamare il 112", "operator", NOW, None),
    # the triage-first workflow: the front office forwards, the office answers it
    "forward": lambda c: c.forward(None, "cc.anna", NOW, NOW, None),
    "record_office_answer": lambda c: c.record_office_answer(
        "Rimossi i rifiuti", "reparto5", NOW, NOW, None
    ),
}

# How to bring a fresh case to each status, through the commands themselves.
PATHS: dict[Status, list[str]] = {
    Status.RECEIVED: [],
    Status.ASSIGNED: ["assign"],
    Status.ROUTING_FAILED: ["fail_routing"],
    Status.TAKEN_IN_CHARGE: ["assign", "take_in_charge"],
    Status.CITIZEN_CONTACTED: ["assign", "take_in_charge", "contact_citizen"],
    Status.WAITING_FOR_CITIZEN: ["assign", "take_in_charge", "wait_for_citizen"],
    Status.RESOLVED: ["assign", "take_in_charge", "resolve"],
    Status.CLOSED: ["assign", "take_in_charge", "close"],
    Status.REOPENED: ["assign", "take_in_charge", "close", "reopen"],
    Status.REASSIGNMENT_REQUESTED: ["assign", "request_reassignment"],
    Status.REJECTED: ["reject"],
    Status.FORWARDED: ["assign", "take_in_charge", "forward"],
    Status.OFFICE_ANSWERED: ["assign", "take_in_charge", "forward", "record_office_answer"],
}

# in the office's hands: taken in charge, or (triage-first) back with the office's answer
IN_HANDS = {Status.TAKEN_IN_CHARGE, Status.CITIZEN_CONTACTED, Status.OFFICE_ANSWERED}
ALLOWED: dict[str, set[Status]] = {
    "take_in_charge": {Status.ASSIGNED, Status.ROUTING_FAILED, Status.REOPENED},
    "contact_citizen": IN_HANDS,
    "wait_for_citizen": IN_HANDS,
    "resume": {Status.WAITING_FOR_CITIZEN},
    "resolve": IN_HANDS,
    "close": IN_HANDS | {Status.RESOLVED},
    "reopen": {Status.RESOLVED, Status.CLOSED},
    "request_reassignment": {Status.ASSIGNED, Status.ROUTING_FAILED} | IN_HANDS,
    "reject": {Status.RECEIVED},
    "forward": IN_HANDS | {Status.FORWARDED},
    "record_office_answer": {Status.FORWARDED},
}

RESULT = {
    "take_in_charge": Status.TAKEN_IN_CHARGE,
    "contact_citizen": Status.CITIZEN_CONTACTED,
    "wait_for_citizen": Status.WAITING_FOR_CITIZEN,
    "resolve": Status.RESOLVED,
    "close": Status.CLOSED,
    "reopen": Status.REOPENED,
    "request_reassignment": Status.REASSIGNMENT_REQUESTED,
    "reject": Status.REJECTED,
    "forward": Status.FORWARDED,
    "record_office_answer": Status.OFFICE_ANSWERED,
}


def case_in(status: Status, category: str = "decoro_pulizia") -> Case:
    case = registered_case(category)
    for step in PATHS[status]:
        if step == "assign":
            case.record_assignment("pm-reparto-5", "Reparto 5", T0 + timedelta(hours=1), None)
        elif step == "fail_routing":
            case.record_routing_failure("contact-center", "categoria ignota", T0, None)
        else:
            COMMANDS[step](case)
    assert case.status is status
    return case


@pytest.mark.parametrize("status", list(PATHS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_from_each_status(command: str, status: Status) -> None:
    case = case_in(status)
    version = case.version
    if status in ALLOWED[command]:
        COMMANDS[command](case)
        expected = RESULT.get(command)
        if command == "resume":
            expected = Status.TAKEN_IN_CHARGE
        assert case.status is expected
        assert case.version == version + 1
    else:
        with pytest.raises(TransitionNotAllowed):
            COMMANDS[command](case)
        assert case.status is status and case.version == version


def test_resume_returns_to_where_the_case_was_before_the_wait() -> None:
    case = case_in(Status.CITIZEN_CONTACTED)
    case.wait_for_citizen("documento", "anna", NOW, NOW, None)
    case.resume("anna", NOW, NOW, None)
    assert case.status is Status.CITIZEN_CONTACTED


def test_a_late_routing_decision_never_undoes_office_work() -> None:
    case = case_in(Status.TAKEN_IN_CHARGE)
    case.record_assignment("pm-reparto-2", "Reparto 2", NOW, None)
    assert case.status is Status.TAKEN_IN_CHARGE
    assert case.organization == "pm-reparto-2"


def test_the_timeline_names_each_step_in_the_public_vocabulary() -> None:
    case = case_in(Status.REOPENED)
    assert [e["event"] for e in case.timeline] == [
        "received",
        "assigned",
        "taken_in_charge",
        "closed",
        "reopened",
    ]
    assert case.outcome is None


def reply(case: Case, key: str, at: datetime) -> bool:
    later = NOW + timedelta(hours=3)
    return case.take_reply(
        "email", key, "Ecco la foto.", [], "mailbox:torino/email", at, later, None
    )


def test_the_citizen_s_reply_resumes_a_case_waiting_for_them() -> None:
    case = case_in(Status.CITIZEN_CONTACTED)
    asked_at = NOW + timedelta(hours=1)
    case.wait_for_citizen("una foto del guasto", "anna", asked_at, asked_at, None)
    answered_at = NOW + timedelta(hours=2)
    assert reply(case, "<r1@example.org>", answered_at) is True
    assert case.status is Status.CITIZEN_CONTACTED  # where it was before the wait
    assert [e["event"] for e in case.timeline[-2:]] == ["citizen_wrote", "resumed"]
    assert case.timeline[-1]["occurred_at"] == answered_at.isoformat()  # the pause ends then
    assert reply(case, "<r1@example.org>", answered_at) is False  # delivered twice: nothing


def test_a_reply_to_a_case_not_waiting_or_written_before_the_request_resumes_nothing() -> None:
    in_hand = case_in(Status.TAKEN_IN_CHARGE)
    assert reply(in_hand, "<r2@example.org>", NOW) is True
    assert in_hand.status is Status.TAKEN_IN_CHARGE
    assert in_hand.timeline[-1]["event"] == "citizen_wrote"

    waiting = case_in(Status.TAKEN_IN_CHARGE)
    asked_at = NOW + timedelta(hours=1)
    waiting.wait_for_citizen("una foto del guasto", "anna", asked_at, asked_at, None)
    crossed = NOW + timedelta(minutes=5)  # written before the office asked: not the answer
    assert reply(waiting, "<r3@example.org>", crossed) is True
    assert waiting.status is Status.WAITING_FOR_CITIZEN
