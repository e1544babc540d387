"""SlaApplication's reactions, sweep and board, on eventsourcing's in-memory store (no bus)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sportello_contracts import cases as c
from sportello_contracts.notifications import NotificationSent, SurveyAnswered
from sportello_shared.application import RetryLater
from sportello_sla.application import SlaApplication
from sportello_sla.domain import ClockStatus

from .conftest import CATALOGUE, assigned, incoming, lifecycle, process, received, rome

NOW = rome(2026, 9, 1, 10)


@pytest.fixture
def app() -> SlaApplication:
    return SlaApplication(CATALOGUE)


def standards(app: SlaApplication, case_id: str) -> dict[str, ClockStatus]:
    return {clock.standard: clock.status for clock in app.clocks_for(UUID(case_id))}


@pytest.mark.parametrize(
    ("tenant", "facts", "expected"),
    [
        ("torino", {}, {"first_contact_5wd"}),
        ("torino", {"kind": "reclamo"}, {"first_contact_5wd", "complaint_answer_30d"}),
        ("torino", {"channel": "voicemail"}, {"first_contact_5wd", "voicemail_callback_24h"}),
        ("pisa", {}, {"answer_30d"}),
        ("pisa", {"channel": "voicemail"}, {"answer_30d", "callback_24h"}),
        ("pisa", {"handling_mode": "callback"}, {"answer_30d", "callback_24h"}),
        ("rescaldina", {}, {"assignment_48h", "answer_30d"}),
        ("casale-monferrato", {}, {"forwarding_2wd"}),
        (
            "casale-monferrato",
            {"category": "attestazione_idoneita_alloggiativa"},
            {"forwarding_2wd", "attestation_30d"},
        ),
        ("marcallo", {}, set()),  # its one standard starts on case.resolved
    ],
)
def test_a_received_case_starts_the_standards_that_apply_to_it(
    app: SlaApplication, tenant: str, facts: dict[str, str], expected: set[str]
) -> None:
    case_id = str(uuid4())
    process(app, tenant, received(case_id, NOW, **facts))
    assert set(standards(app, case_id)) == expected


def test_a_redelivered_case_received_starts_nothing_twice(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(app, "pisa", received(case_id, NOW), received(case_id, NOW))
    [clock] = app.clocks_for(UUID(case_id))
    assert clock.version == 1 and len(app.board.rows()) == 1


def test_assignment_stops_the_assignment_clock_and_follows_the_others(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(app, "rescaldina", received(case_id, NOW))
    process(app, "rescaldina", assigned(case_id, NOW + timedelta(hours=3), "area-tecnica"))
    clocks = {clock.standard: clock for clock in app.clocks_for(UUID(case_id))}
    assert clocks["assignment_48h"].status is ClockStatus.MET
    assert clocks["answer_30d"].status is ClockStatus.RUNNING
    assert {clock.organization for clock in clocks.values()} == {"area-tecnica"}


def test_torinos_first_contact_stops_on_the_taking_in_charge_message(app: SlaApplication) -> None:
    case_id = str(uuid4())
    sent_at = NOW + timedelta(days=1)
    process(app, "torino", received(case_id, NOW, kind="reclamo"))
    closed_mail = NotificationSent(
        notification_id="n1", case_id=case_id, template="closed", channel="email", at=sent_at
    )
    process(app, "torino", closed_mail)
    assert standards(app, case_id)["first_contact_5wd"] is ClockStatus.RUNNING
    process(app, "torino", closed_mail.model_copy(update={"template": "taken_in_charge"}))
    assert standards(app, case_id) == {
        "first_contact_5wd": ClockStatus.MET,
        "complaint_answer_30d": ClockStatus.RUNNING,
    }


def test_marcallos_feedback_runs_from_resolved_to_closed_and_again_after_reopening(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    process(app, "marcallo", received(case_id, NOW), assigned(case_id, NOW, "ufficio-tecnico"))
    process(
        app, "marcallo", lifecycle(c.CaseResolved, case_id, NOW + timedelta(days=1), outcome="ok")
    )
    [clock] = app.clocks_for(UUID(case_id))
    assert clock.organization == "ufficio-tecnico"
    assert clock.deadline == NOW + timedelta(days=2)
    process(
        app, "marcallo", lifecycle(c.CaseClosed, case_id, NOW + timedelta(days=3), outcome="ok")
    )
    assert standards(app, case_id) == {"feedback_24h": ClockStatus.BREACHED}
    process(
        app, "marcallo", lifecycle(c.CaseReopened, case_id, NOW + timedelta(days=4), reason="x")
    )
    process(
        app, "marcallo", lifecycle(c.CaseResolved, case_id, NOW + timedelta(days=5), outcome="ok")
    )
    [clock] = app.clocks_for(UUID(case_id))
    assert clock.status is ClockStatus.RUNNING and clock.started_at == NOW + timedelta(days=5)


def test_waiting_pauses_and_reopening_restarts_the_answer_clock(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(app, "pisa", received(case_id, NOW))
    process(
        app,
        "pisa",
        lifecycle(c.CaseWaitingForCitizen, case_id, NOW + timedelta(days=2), request="?"),
    )
    assert standards(app, case_id) == {"answer_30d": ClockStatus.PAUSED}
    process(app, "pisa", lifecycle(c.CaseResumed, case_id, NOW + timedelta(days=9)))
    [clock] = app.clocks_for(UUID(case_id))
    assert clock.status is ClockStatus.RUNNING
    assert clock.deadline.astimezone(NOW.tzinfo).date().isoformat() == "2026-10-08"
    process(app, "pisa", lifecycle(c.CaseClosed, case_id, NOW + timedelta(days=10), outcome="ok"))
    process(app, "pisa", lifecycle(c.CaseReopened, case_id, NOW + timedelta(days=11), reason="x"))
    [clock] = app.clocks_for(UUID(case_id))
    assert clock.status is ClockStatus.RUNNING and clock.started_at == NOW + timedelta(days=11)


def test_a_rejected_case_is_answered_by_its_rejection(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(app, "rescaldina", received(case_id, NOW))
    process(app, "rescaldina", lifecycle(c.CaseRejected, case_id, NOW, reason="anonima"))
    assert set(standards(app, case_id).values()) == {ClockStatus.MET}


def test_an_event_that_overtook_its_case_received_is_retried_later(app: SlaApplication) -> None:
    case_id = str(uuid4())
    with pytest.raises(RetryLater):
        process(app, "pisa", lifecycle(c.CaseClosed, case_id, NOW, outcome="ok"))
    with pytest.raises(RetryLater):
        process(app, "pisa", assigned(case_id, NOW))
    assert app.clocks_for(UUID(case_id)) == []


def test_a_tenant_without_policy_is_ignored(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(
        app, "milano", received(case_id, NOW), lifecycle(c.CaseClosed, case_id, NOW, outcome="x")
    )
    assert app.clocks_for(UUID(case_id)) == []


def test_the_sweep_warns_then_breaches_each_clock_once(app: SlaApplication) -> None:
    late, fine = str(uuid4()), str(uuid4())
    process(app, "rescaldina", received(late, NOW), received(fine, NOW))
    process(app, "rescaldina", assigned(fine, NOW + timedelta(hours=1)))
    [clock] = [c for c in app.clocks_for(UUID(late)) if c.standard == "assignment_48h"]
    assert app.board.next_due() == clock.warning_at

    assert app.sweep(clock.warning_at) == []  # due strictly after its instant
    warned = app.sweep(clock.warning_at + timedelta(seconds=1))
    assert [(c.case_id, c.standard) for c in warned] == [(UUID(late), "assignment_48h")]
    assert app.sweep(clock.warning_at + timedelta(seconds=2)) == []
    breached = app.sweep(clock.deadline + timedelta(seconds=1))
    assert [(c.case_id, c.standard) for c in breached] == [(UUID(late), "assignment_48h")]
    assert app.sweep(clock.deadline + timedelta(days=1)) == []
    assert standards(app, late)["assignment_48h"] is ClockStatus.BREACHED
    [row] = [
        r for r in app.board.rows() if r.case_id == UUID(late) and r.standard == "assignment_48h"
    ]
    assert row.warned and row.status is ClockStatus.BREACHED and row.stopped_at is None


def test_ratings_are_kept_once_per_answer_for_the_office(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(app, "pisa", received(case_id, NOW), assigned(case_id, NOW, "sepi"))
    answer = SurveyAnswered(case_id=case_id, rating=4, at=datetime(2026, 9, 9, tzinfo=UTC))
    process(app, "pisa", answer, answer)
    [rating] = app.board.ratings()
    assert (rating.organization, rating.rating) == ("sepi", 4)


def test_a_late_entry_starts_its_clocks_at_registration_not_at_its_old_receipt(
    app: SlaApplication,
) -> None:
    """A 2016 letter typed in today (issue 26): no clock born breached, no breach to mail."""
    case_id = str(uuid4())
    old = rome(2016, 3, 1, 9)
    process(app, "torino", received(case_id, old, registered_at=NOW, kind="reclamo"))
    clocks = {clock.standard: clock for clock in app.clocks_for(UUID(case_id))}
    assert set(clocks) == {"first_contact_5wd", "complaint_answer_30d"}
    assert all(clock.started_at == NOW and clock.deadline > NOW for clock in clocks.values())
    assert app.sweep(NOW + timedelta(hours=1)) == []  # nothing due, let alone breached


def test_a_case_typed_in_within_the_window_keeps_its_receipt_time(app: SlaApplication) -> None:
    """A voicemail of Friday night registered on Monday: the 24 h runs from the message."""
    case_id = str(uuid4())
    friday = rome(2026, 8, 28, 22)
    process(app, "torino", received(case_id, friday, registered_at=NOW, channel="voicemail"))
    callback = next(
        c for c in app.clocks_for(UUID(case_id)) if c.standard == "voicemail_callback_24h"
    )
    assert callback.started_at == friday


def classified(case_id: str, at: datetime, category: str, kind: str = "segnalazione") -> Any:
    return lifecycle(
        c.CaseClassified,
        case_id,
        at,
        kind=kind,
        category=category,
        previous_category="da_classificare",
    )


def test_classifying_starts_the_category_s_clocks_from_when_the_case_was_received(
    app: SlaApplication,
) -> None:
    """A PEC to Casale lands `da_classificare`; the URP classifies it two days later as a
    housing attestation: its 30 days run from the PEC's time, not from the classification."""
    case_id = str(uuid4())
    process(
        app, "casale-monferrato", received(case_id, NOW, channel="pec", category="da_classificare")
    )
    assert set(standards(app, case_id)) == {"forwarding_2wd"}
    later = NOW + timedelta(days=2)
    process(
        app, "casale-monferrato", classified(case_id, later, "attestazione_idoneita_alloggiativa")
    )

    clocks = {clock.standard: clock for clock in app.clocks_for(UUID(case_id))}
    assert set(clocks) == {"forwarding_2wd", "attestation_30d"}
    attestation = clocks["attestation_30d"]
    assert attestation.started_at == NOW
    rule = CATALOGUE["casale-monferrato"].rule("attestation_30d", attestation.policy_version)
    assert attestation.deadline == rule.deadline(NOW)
    assert clocks["forwarding_2wd"].version == 1  # the clock already running goes on untouched

    # the classification delivered again: nothing starts twice
    process(
        app, "casale-monferrato", classified(case_id, later, "attestazione_idoneita_alloggiativa")
    )
    assert [clock.version for clock in app.clocks_for(UUID(case_id))] == [1, 1]


def test_a_voicemail_classified_as_a_complaint_gets_the_complaint_clock(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    process(app, "torino", received(case_id, NOW, channel="voicemail", category="da_classificare"))
    process(
        app,
        "torino",
        classified(case_id, NOW + timedelta(hours=2), "reclami_polizia_municipale", "reclamo"),
    )
    clocks = {clock.standard: clock for clock in app.clocks_for(UUID(case_id))}
    assert set(clocks) == {"first_contact_5wd", "voicemail_callback_24h", "complaint_answer_30d"}
    assert clocks["complaint_answer_30d"].started_at == NOW
    assert clocks["complaint_answer_30d"].status is ClockStatus.RUNNING


def test_the_batch_reads_a_case_s_profile_and_clocks_and_skips_a_malformed_id(
    app: SlaApplication,
) -> None:
    """What a batch reads in one query (prefetch): a malformed case id names nothing, so one bad
    message cannot fail the read of the whole batch; its own policy refuses it."""
    case_id = str(uuid4())
    wanted = list(app.aggregates_to_read(incoming(received(case_id, NOW), "torino")))
    assert len(wanted) == 1 + len(CATALOGUE["torino"].policy.standard_ids())
    assert list(app.aggregates_to_read(incoming(received("non-un-uuid", NOW), "torino"))) == []
