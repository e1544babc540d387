"""The citizen's "not solved?": only on a closed case, within the window, once until decided."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sportello_intake.domain import ReopenWindowClosed, Status, TransitionNotAllowed

from .test_lifecycle import NOW, case_in

WINDOW = timedelta(days=30)


def test_a_closed_case_can_be_asked_to_reopen_within_the_window() -> None:
    case = case_in(Status.CLOSED)
    case.request_reopening("Il cassonetto è ancora pieno", WINDOW, "citizen:web", NOW, None)
    assert case.status is Status.CLOSED  # the URP decides
    assert case.reopen_requested == "Il cassonetto è ancora pieno"
    assert case.timeline[-1]["event"] == "reopen_requested"
    version = case.version
    case.request_reopening("di nuovo", WINDOW, "citizen:web", NOW, None)
    assert case.version == version  # asked already: nothing new
    case.reopen("la segnalazione non è risolta", "urp.bianchi", NOW, NOW, None)
    assert case.status is Status.REOPENED and case.reopen_requested is None


def test_after_the_window_the_request_is_refused() -> None:
    case = case_in(Status.CLOSED)
    late = NOW + WINDOW + timedelta(minutes=1)
    with pytest.raises(ReopenWindowClosed, match="30 days"):
        case.request_reopening("ancora pieno", WINDOW, "citizen:web", late, None)


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.TAKEN_IN_CHARGE, Status.RESOLVED])
def test_only_a_closed_case_can_be_asked_to_reopen(status: Status) -> None:
    case = case_in(status)
    with pytest.raises(TransitionNotAllowed):
        case.request_reopening("ancora pieno", WINDOW, "citizen:web", NOW, None)
