"""The triage's classification of a case registered `da_classificare`, from every status."""

from __future__ import annotations

import pytest
from sportello_intake.domain import (
    UNCLASSIFIED,
    AlreadyClassified,
    Case,
    Status,
    TransitionNotAllowed,
)

from .test_lifecycle import NOW, PATHS, case_in

CLASSIFIABLE = {
    Status.RECEIVED,
    Status.ASSIGNED,
    Status.ROUTING_FAILED,
    Status.TAKEN_IN_CHARGE,
    Status.CITIZEN_CONTACTED,
}
BACK_TO_ROUTING = {Status.TAKEN_IN_CHARGE, Status.CITIZEN_CONTACTED}


def classify(case: Case, citizen: dict[str, str] | None = None) -> None:
    case.classify("reclamo", "convivenza_civile", citizen, "anna", NOW, None)


@pytest.mark.parametrize("status", list(PATHS))
def test_classify_from_each_status(status: Status) -> None:
    case = case_in(status, UNCLASSIFIED)
    version = case.version
    if status not in CLASSIFIABLE:
        with pytest.raises(TransitionNotAllowed):
            classify(case)
        assert case.version == version and case.category == UNCLASSIFIED
        return
    classify(case)
    assert (case.kind, case.category) == ("reclamo", "convivenza_civile")
    # in an office's hands (the call-taker called back): routing routes it again from scratch
    assert case.status is (Status.RECEIVED if status in BACK_TO_ROUTING else status)
    assert case.timeline[-1] == {
        "event": "classified",
        "occurred_at": NOW.isoformat(),
        "actor": "anna",
        "kind": "reclamo",
        "category": "convivenza_civile",
    }


def test_the_completed_identity_replaces_what_the_message_said() -> None:
    case = case_in(Status.ROUTING_FAILED, UNCLASSIFIED)
    franca = {"name": "Franca Gialli", "email": "franca@example.org", "phone": "3471234567"}
    classify(case, franca)
    assert case.citizen == franca
    assert case.timeline[-1]["identity_completed"] is True


def test_a_classified_case_is_not_classified_again() -> None:
    case = case_in(Status.ASSIGNED, UNCLASSIFIED)
    classify(case)
    with pytest.raises(AlreadyClassified):
        classify(case)
    typed_in = case_in(Status.ASSIGNED)  # registered with its category by an operator
    with pytest.raises(AlreadyClassified):
        classify(typed_in)


def test_after_classification_routing_s_decision_lands() -> None:
    case = case_in(Status.TAKEN_IN_CHARGE, UNCLASSIFIED)
    classify(case)
    case.record_assignment("pm-reparto-2", "Reparto 2", NOW, None)
    assert case.status is Status.ASSIGNED and case.organization == "pm-reparto-2"
