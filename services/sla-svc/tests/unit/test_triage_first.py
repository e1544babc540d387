"""Dated scenarios of the triage-first workflow (issue 18, point 2): Torino's Contact Center
takes the case in charge, forwards it to the Reparto, gets its answer and tells the citizen.

The first contact runs from receipt to the Contact Center's taking in charge (the message the
citizen gets) in working days, whatever the Reparto does later; a complaint's 30 days run
across both stages, from receipt to the Contact Center's closing, through the forwarding and
the Reparto's answer; each clock follows the organization that has the case."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sportello_contracts import cases as c
from sportello_contracts.case_triage import CaseForwarded, CaseOfficeAnswered
from sportello_contracts.notifications import NotificationSent
from sportello_sla.application import SlaApplication
from sportello_sla.calendars import ROME
from sportello_sla.domain import Clock, ClockStatus

from .conftest import CATALOGUE, assigned, lifecycle, process, received, rome

# Friday 4 September 2026, 10:00 in Turin: 5 working days end on Friday 11 September.
RECEIVED = rome(2026, 9, 4, 10)
DEADLINE_5WD = datetime(2026, 9, 11, 23, 59, 59, tzinfo=ROME)  # end of the 5th working day


@pytest.fixture
def app() -> SlaApplication:
    return SlaApplication(CATALOGUE)


def clocks(app: SlaApplication, case_id: str) -> dict[str, Clock]:
    return {clock.standard: clock for clock in app.clocks_for(UUID(case_id))}


def taken_in_charge_mail(case_id: str, at: object) -> NotificationSent:
    return NotificationSent(
        notification_id=str(uuid4()),
        case_id=case_id,
        template="taken_in_charge",
        channel="email",
        at=at,
    )


def two_stages(app: SlaApplication, case_id: str, taken_on_day: int) -> None:
    """Received Friday 4 September; the Contact Center takes it in charge on `taken_on_day`
    (its message to the citizen), forwards it to Reparto 6 on the 15th; the Reparto answers
    on the 28th; the Contact Center closes it with the outcome on 1 October."""
    taken = rome(2026, 9, taken_on_day, 9)
    process(
        app,
        "torino",
        received(case_id, RECEIVED, kind="reclamo", category="reclami_polizia_municipale"),
        assigned(case_id, RECEIVED + timedelta(minutes=1), "contact-center"),
        lifecycle(c.CaseTakenInCharge, case_id, taken, organization="contact-center", operator="a"),
        taken_in_charge_mail(case_id, taken + timedelta(minutes=1)),
        lifecycle(CaseForwarded, case_id, rome(2026, 9, 15, 9), to=None),
        assigned(case_id, rome(2026, 9, 15, 9, 1), "pm-reparto-6"),
    )


def test_the_first_contact_is_the_contact_centers_and_the_30_days_span_both_stages(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    two_stages(app, case_id, taken_on_day=10)  # Thursday: within the 5 working days
    running = clocks(app, case_id)
    assert running["first_contact_5wd"].status is ClockStatus.MET
    assert running["first_contact_5wd"].deadline == DEADLINE_5WD
    complaint = running["complaint_answer_30d"]
    # forwarded to the Reparto: still running, now in the Reparto's hands
    assert (complaint.status, complaint.organization) == (ClockStatus.RUNNING, "pm-reparto-6")
    assert complaint.deadline.astimezone(RECEIVED.tzinfo).date().isoformat() == "2026-10-05"

    answered_at = rome(2026, 9, 28, 12)
    process(
        app,
        "torino",
        lifecycle(CaseOfficeAnswered, case_id, answered_at, has_answer=True, answer_length=20),
        assigned(case_id, answered_at + timedelta(minutes=1), "contact-center"),
    )
    complaint = clocks(app, case_id)["complaint_answer_30d"]
    assert (complaint.status, complaint.organization) == (ClockStatus.RUNNING, "contact-center")
    # the sweep a day before the deadline warns the Contact Center, which has the case again
    assert [w.standard for w in app.sweep(rome(2026, 10, 1, 8))] == ["complaint_answer_30d"]

    process(
        app,
        "torino",
        lifecycle(c.CaseClosed, case_id, rome(2026, 10, 1, 10), has_outcome=True, outcome_length=9),
    )
    done = clocks(app, case_id)
    assert {s: k.status for s, k in done.items()} == {
        "first_contact_5wd": ClockStatus.MET,
        "complaint_answer_30d": ClockStatus.MET,
    }


def test_a_late_taking_in_charge_breaches_the_first_contact_not_the_reparto_s_work(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    process(
        app,
        "torino",
        received(case_id, RECEIVED),
        assigned(case_id, RECEIVED + timedelta(minutes=1), "contact-center"),
    )
    breached = app.sweep(rome(2026, 9, 14, 8))  # Monday: 5 working days passed on Friday
    assert [(b.standard, b.organization) for b in breached] == [
        ("first_contact_5wd", "contact-center")
    ]
    # neither the forwarding nor the Reparto's answer counts as contacting the citizen
    process(
        app,
        "torino",
        lifecycle(CaseForwarded, case_id, rome(2026, 9, 14, 9), to="pm-reparto-5"),
        assigned(case_id, rome(2026, 9, 14, 9, 1), "pm-reparto-5"),
        lifecycle(CaseOfficeAnswered, case_id, rome(2026, 9, 15, 9), has_answer=True),
    )
    assert clocks(app, case_id)["first_contact_5wd"].status is ClockStatus.BREACHED


# Rescaldina's U.R.P. forwards within 48 hours (policy version 2, triage-first, from 2026-12-05).
RESCALDINA_RECEIVED = rome(2026, 12, 9, 11)  # Wednesday 11:00


def test_rescaldinas_48_hours_stop_on_the_urp_s_forwarding_not_on_its_own_assignment(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    process(
        app,
        "rescaldina",
        received(case_id, RESCALDINA_RECEIVED, category="strade_segnaletica"),
        assigned(case_id, RESCALDINA_RECEIVED + timedelta(minutes=1), "urp"),
    )
    forwarding = clocks(app, case_id)["assignment_48h"]
    assert (forwarding.status, forwarding.policy_version) == (ClockStatus.RUNNING, 2)
    assert forwarding.deadline == rome(2026, 12, 11, 11)  # 48 hours, Friday 11:00
    process(
        app,
        "rescaldina",
        lifecycle(CaseForwarded, case_id, rome(2026, 12, 11, 9), to=None),
        assigned(case_id, rome(2026, 12, 11, 9, 1), "area-tecnica"),
    )
    done = clocks(app, case_id)
    assert done["assignment_48h"].status is ClockStatus.MET
    assert done["assignment_48h"].stopped_at == rome(2026, 12, 11, 9)
    assert (done["answer_30d"].status, done["answer_30d"].organization) == (
        ClockStatus.RUNNING,
        "area-tecnica",
    )


def test_rescaldinas_urp_forwarding_late_breaches_the_48_hours(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(
        app,
        "rescaldina",
        received(case_id, RESCALDINA_RECEIVED),
        assigned(case_id, RESCALDINA_RECEIVED + timedelta(minutes=1), "urp"),
    )
    breached = app.sweep(rome(2026, 12, 11, 11, 1))
    assert [(b.standard, b.organization) for b in breached] == [("assignment_48h", "urp")]


def test_before_the_triage_first_version_the_assignment_stopped_the_48_hours(
    app: SlaApplication,
) -> None:
    """A case received under version 1 keeps it: routing's assignment stops its 48 hours."""
    case_id = str(uuid4())
    at = rome(2026, 11, 30, 10)
    process(app, "rescaldina", received(case_id, at), assigned(case_id, at, "area-tecnica"))
    clock = clocks(app, case_id)["assignment_48h"]
    assert (clock.status, clock.policy_version) == (ClockStatus.MET, 1)
