"""Casale's attestations on the legal 30-day clock, dated (issue 18 point 6; seed 001: "Nel
termine di legge (30 gg.) viene rilasciato l'attestazione").

sla.yaml's version 2 (from 5 December 2026): the term runs from receipt
(L. 241/1990 art. 2 c.6), in calendar days moved to the next day when it falls on a festivo, is
suspended once for the citizen (art. 2 c.7) and stops when the attestation is issued, not at the
closing after. The same version has the URP triage-first (issue 18 point 2): the case is the
URP's first, forwarded to the Polizia Locale; `forwarding_2wd` stops on the forwarding.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from sportello_contracts import case_procedures as p
from sportello_contracts import cases as c
from sportello_contracts.case_triage import CaseForwarded, CaseOfficeAnswered
from sportello_sla.application import SlaApplication
from sportello_sla.calendars import ROME
from sportello_sla.domain import Clock, ClockStatus

from .conftest import CATALOGUE, assigned, lifecycle, process, received, rome

CASALE = "casale-monferrato"
HOUSING = "attestazione_idoneita_alloggiativa"
RECEIVED = rome(2026, 12, 7, 10, 0)  # Monday 7 December 2026, a PEC to the URP


@pytest.fixture
def app() -> SlaApplication:
    return SlaApplication(CATALOGUE)


def attestation_clock(app: SlaApplication, case_id: str) -> Clock:
    [clock] = [k for k in app.clocks_for(UUID(case_id)) if k.standard == "attestation_30d"]
    return clock


def issued(case_id: str, at_day: int, month: int = 12, year: int = 2026) -> p.CaseAttestationIssued:
    at = rome(year, month, at_day, 11, 0)
    issued_on = at.date().isoformat()
    payload: p.CaseAttestationIssued = lifecycle(
        p.CaseAttestationIssued,
        case_id,
        at,
        attestation_number="IA-2026-0042",
        issued_on=issued_on,
        has_outcome=True,
        outcome_length=60,
    )
    return payload


def start(app: SlaApplication, case_id: str) -> None:
    """Received by the URP (triage-first), which forwards it to the Polizia Locale the next
    morning."""
    process(app, CASALE, received(case_id, RECEIVED, channel="pec", category=HOUSING))
    process(app, CASALE, assigned(case_id, RECEIVED + timedelta(minutes=1), "urp"))
    forwarded_at = rome(2026, 12, 9, 9)
    process(app, CASALE, lifecycle(CaseForwarded, case_id, forwarded_at, to=None))
    process(app, CASALE, assigned(case_id, forwarded_at + timedelta(minutes=1), "polizia-locale"))


def standard_clock(app: SlaApplication, case_id: str, standard: str) -> Clock:
    [clock] = [k for k in app.clocks_for(UUID(case_id)) if k.standard == standard]
    return clock


def test_thirty_days_from_receipt_moved_past_the_epiphany_and_met_on_issuance(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    start(app, case_id)
    clock = attestation_clock(app, case_id)
    assert clock.policy_version == 2 and clock.started_at == RECEIVED
    # 7 Dec + 30 days is Wednesday 6 January 2027, the Epiphany: the term moves to the 7th
    assert clock.deadline.astimezone(RECEIVED.tzinfo).date().isoformat() == "2027-01-07"
    protocolled = lifecycle(p.CaseProtocolled, case_id, RECEIVED, protocol_number="2026/000123")
    scheduled = lifecycle(
        p.CaseInspectionScheduled,
        case_id,
        rome(2026, 12, 9, 9),
        scheduled_for=rome(2026, 12, 15, 9, 30),
        inspector="Pattuglia PL 3",
    )
    reported = lifecycle(
        p.CaseInspectionReported,
        case_id,
        rome(2026, 12, 15, 12),
        report_sha256="3f" * 32,
        finding="idoneo",
    )
    for step in (protocolled, scheduled, reported):
        process(app, CASALE, step)
    assert attestation_clock(app, case_id).status is ClockStatus.RUNNING  # steps, not the end
    process(app, CASALE, issued(case_id, 18))
    clock = attestation_clock(app, case_id)
    assert clock.status is ClockStatus.MET
    assert clock.stopped_at == rome(2026, 12, 18, 11, 0)
    # closing the resolved case to the citizen afterwards changes nothing
    process(app, CASALE, lifecycle(c.CaseClosed, case_id, rome(2026, 12, 21, 9), has_outcome=True))
    assert attestation_clock(app, case_id).stopped_at == rome(2026, 12, 18, 11, 0)


def test_one_suspension_for_the_citizen_extends_the_term_the_second_does_not(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    start(app, case_id)
    before = attestation_clock(app, case_id).deadline
    waiting = lifecycle(c.CaseWaitingForCitizen, case_id, rome(2026, 12, 10, 10), has_request=True)
    process(app, CASALE, waiting)
    assert attestation_clock(app, case_id).status is ClockStatus.PAUSED
    process(app, CASALE, lifecycle(c.CaseResumed, case_id, rome(2026, 12, 20, 10)))
    extended = attestation_clock(app, case_id).deadline
    # ten days waiting: 6 January + 10 is Saturday 16 January (a Saturday is no festivo)
    assert before.date().isoformat() == "2027-01-07"
    assert extended.astimezone(RECEIVED.tzinfo).date().isoformat() == "2027-01-16"
    process(app, CASALE, lifecycle(c.CaseWaitingForCitizen, case_id, rome(2026, 12, 22, 10)))
    assert attestation_clock(app, case_id).status is ClockStatus.RUNNING  # art. 2 c.7: once
    assert attestation_clock(app, case_id).deadline == extended


def test_an_attestation_issued_after_the_term_is_late(app: SlaApplication) -> None:
    case_id = str(uuid4())
    start(app, case_id)
    breached = app.sweep(rome(2027, 1, 8, 0, 1))
    assert [(k.case_id, k.standard) for k in breached] == [(UUID(case_id), "attestation_30d")]
    process(app, CASALE, issued(case_id, 12, month=1, year=2027))
    assert attestation_clock(app, case_id).status is ClockStatus.BREACHED


def test_a_clock_started_under_version_1_still_stops_on_the_closing_only(
    app: SlaApplication,
) -> None:
    """A version is never rewritten: a case received before 5 December keeps version 1."""
    case_id = str(uuid4())
    earlier = rome(2026, 12, 1, 10)
    process(app, CASALE, received(case_id, earlier, channel="pec", category=HOUSING))
    process(app, CASALE, issued(case_id, 18))
    clock = attestation_clock(app, case_id)
    assert clock.policy_version == 1 and clock.status is ClockStatus.RUNNING
    process(app, CASALE, lifecycle(c.CaseClosed, case_id, rome(2026, 12, 21, 9), has_outcome=True))
    assert attestation_clock(app, case_id).status is ClockStatus.MET


def test_the_urp_forwards_within_two_working_days_and_the_legal_term_spans_both_stages(
    app: SlaApplication,
) -> None:
    """Version 2: the URP's own assignment (routing's first decision, triage-first) does not
    stop the 2 working days; the forwarding to the Polizia Locale does. Received Monday 7
    December, the Immacolata (8th) is no working day: the 2 days end on Thursday 10 December.
    The 30 days run on through the forwarding and the office's answer, to the issuance."""
    case_id = str(uuid4())
    process(app, CASALE, received(case_id, RECEIVED, channel="pec", category=HOUSING))
    process(app, CASALE, assigned(case_id, RECEIVED + timedelta(minutes=1), "urp"))
    forwarding = standard_clock(app, case_id, "forwarding_2wd")
    assert (forwarding.status, forwarding.policy_version) == (ClockStatus.RUNNING, 2)
    assert forwarding.deadline.astimezone(ROME).date().isoformat() == "2026-12-10"
    forwarded_at = rome(2026, 12, 10, 12)
    process(app, CASALE, lifecycle(CaseForwarded, case_id, forwarded_at, to="polizia-locale"))
    process(app, CASALE, assigned(case_id, forwarded_at, "polizia-locale"))
    forwarding = standard_clock(app, case_id, "forwarding_2wd")
    assert (forwarding.status, forwarding.stopped_at) == (ClockStatus.MET, forwarded_at)
    answered = lifecycle(
        CaseOfficeAnswered, case_id, rome(2026, 12, 16, 9), has_answer=True, answer_length=30
    )
    process(app, CASALE, answered, assigned(case_id, rome(2026, 12, 16, 9, 1), "urp"))
    legal = attestation_clock(app, case_id)
    assert (legal.status, legal.organization) == (ClockStatus.RUNNING, "urp")
    process(app, CASALE, issued(case_id, 18))
    assert attestation_clock(app, case_id).status is ClockStatus.MET


def test_a_forwarding_after_two_working_days_is_late(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(app, CASALE, received(case_id, RECEIVED, channel="pec", category="spid_point"))
    process(app, CASALE, assigned(case_id, RECEIVED + timedelta(minutes=1), "urp"))
    breached = app.sweep(rome(2026, 12, 11, 0, 1))
    assert [(k.case_id, k.standard) for k in breached] == [(UUID(case_id), "forwarding_2wd")]
    process(app, CASALE, lifecycle(CaseForwarded, case_id, rome(2026, 12, 11, 9), to=None))
    assert standard_clock(app, case_id, "forwarding_2wd").status is ClockStatus.BREACHED
