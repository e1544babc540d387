"""The Case aggregate on its own: no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sportello_intake.domain import (
    Case,
    InvalidOccurrence,
    Status,
    TransitionNotAllowed,
    case_id_for,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def registered_case(category: str = "decoro_pulizia") -> Case:
    return Case.register(
        case_id=case_id_for("torino", "k1"),
        tenant="torino",
        reference="TO-2026-000001",
        kind="segnalazione",
        channel="voicemail",
        category=category,
        description="Cassonetti traboccanti in via Roma",
        citizen={"name": "Maria Rossi", "email": "maria.rossi@example.org"},
        location=None,
        handling_mode=None,
        external_ref=None,
        attachments=[],
        received_at=T0,
        registered_at=T0 + timedelta(hours=10),
        actor="operator",
        traceparent=None,
    )


def test_a_registered_case_is_received_and_unassigned() -> None:
    case = registered_case()
    assert case.status is Status.RECEIVED
    assert case.organization is None
    assert [entry["event"] for entry in case.timeline] == ["received"]


def test_the_same_idempotency_key_gives_the_same_case_id() -> None:
    assert case_id_for("torino", "k1") == case_id_for("torino", "k1")
    assert case_id_for("torino", "k1") != case_id_for("pisa", "k1")


def test_an_unassigned_case_cannot_be_taken_in_charge() -> None:
    case = registered_case()
    with pytest.raises(TransitionNotAllowed, match="cannot take in charge a case that is received"):
        case.take_in_charge("anna", T0 + timedelta(hours=11), T0 + timedelta(hours=12), None)


def test_assigned_taken_in_charge_then_closed() -> None:
    case = registered_case()
    now = T0 + timedelta(days=1)
    case.record_assignment("pm-reparto-5", "Reparto 5", T0 + timedelta(hours=11), None)
    case.take_in_charge("anna", T0 + timedelta(hours=12), now, None)
    case.close("Cassonetti svuotati", "anna", now, now, None)
    assert case.status is Status.CLOSED
    assert case.outcome == "Cassonetti svuotati"
    assert [e["event"] for e in case.timeline] == [
        "received",
        "assigned",
        "taken_in_charge",
        "closed",
    ]


def test_a_case_cannot_be_closed_before_it_is_taken_in_charge() -> None:
    case = registered_case()
    case.record_assignment("pm-reparto-5", "Reparto 5", T0, None)
    with pytest.raises(TransitionNotAllowed):
        case.close("x", "anna", T0 + timedelta(hours=1), T0 + timedelta(hours=1), None)


def test_an_occurrence_in_the_future_or_before_the_previous_event_is_refused() -> None:
    case = registered_case()
    case.record_assignment("pm-reparto-5", "Reparto 5", T0 + timedelta(hours=1), None)
    now = T0 + timedelta(hours=2)
    with pytest.raises(InvalidOccurrence, match="future"):
        case.take_in_charge("anna", now + timedelta(minutes=1), now, None)
    with pytest.raises(InvalidOccurrence, match="before"):
        case.take_in_charge("anna", T0 - timedelta(minutes=1), now, None)


def test_the_nearest_open_promise_is_expected_until_it_is_kept() -> None:
    case = registered_case()
    case.record_deadline("answer_30d", T0 + timedelta(days=30))
    case.record_deadline("first_contact_5wd", T0 + timedelta(days=7))
    assert case.expected_at == T0 + timedelta(days=7)
    case.record_deadline_met("first_contact_5wd")
    assert case.expected_at == T0 + timedelta(days=30)
