"""A classified case recategorised (a reclamo filed as a segnalazione): `Classified` again,
back to routing from an office's hands, refused where classification is."""

from __future__ import annotations

import pytest
from sportello_intake.domain import (
    CLASSIFIABLE,
    NothingToRecategorise,
    Status,
    TransitionNotAllowed,
)

from .test_lifecycle import NOW, PATHS, case_in


@pytest.mark.parametrize("status", list(PATHS))
def test_recategorise_from_each_status(status: Status) -> None:
    case = case_in(status)
    version = case.version
    if status not in CLASSIFIABLE:
        with pytest.raises(TransitionNotAllowed) as refused:
            case.recategorise("reclamo", "decoro_pulizia", None, "anna", NOW, None)
        assert refused.value.problem_extra()["case_status"] == status.value
        assert case.version == version
        return
    case.recategorise("reclamo", "qualita_urbana", None, "anna", NOW, None)
    assert (case.kind, case.category) == ("reclamo", "qualita_urbana")
    assert case.version == version + 1
    entry = case.timeline[-1]
    assert entry | {"occurred_at": ""} == {
        "event": "classified",
        "occurred_at": "",
        "actor": "anna",
        "kind": "reclamo",
        "category": "qualita_urbana",
    }
    in_hands = {Status.TAKEN_IN_CHARGE, Status.CITIZEN_CONTACTED}
    assert case.status is (Status.RECEIVED if status in in_hands else status)
    (event,) = case.collect_events()[-1:]
    assert event.previous_category == "decoro_pulizia"


def test_the_same_kind_and_category_is_nothing_to_change() -> None:
    case = case_in(Status.ASSIGNED)
    with pytest.raises(NothingToRecategorise):
        case.recategorise(case.kind, case.category, None, "anna", NOW, None)
