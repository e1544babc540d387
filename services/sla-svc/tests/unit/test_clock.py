"""The Clock aggregate on its own: no I/O, every instant given."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

import pytest
from sportello_sla.calendars import ROME
from sportello_sla.domain import Clock, ClockStatus, NaiveTime, clock_id_for
from sportello_sla.policies import Rule

from .conftest import rome, rule

CASE = UUID("6f1c2a0e-3b5d-4e7f-8a9b-0c1d2e3f4a5b")
ANSWER = rule("pisa", "answer_30d")
RECEIVED = rome(2026, 9, 1, 10)  # Tuesday; 30 days → Thu 1 Oct
DUE = datetime.combine(date(2026, 10, 1), time(23, 59, 59), ROME)


def started(r: Rule = ANSWER, at: datetime = RECEIVED) -> Clock:
    return Clock.start(case_id=CASE, tenant="pisa", organization=None, rule=r, started_at=at)


def kinds(clock: Clock) -> list[str]:
    return [type(e).__name__ for e in clock.collect_events()]


def test_a_clock_starts_running_under_its_policy_version_with_deadline_and_warning() -> None:
    clock = started()
    assert clock.id == clock_id_for(CASE, "answer_30d")
    assert clock.status is ClockStatus.RUNNING and clock.policy_version == 1
    assert clock.deadline == DUE
    assert RECEIVED < clock.warning_at < DUE
    assert kinds(clock) == ["Started"]


def test_stopped_in_time_is_met_and_too_late_is_breached() -> None:
    met, late = started(), started()
    met.stop(DUE, ANSWER)
    late.stop(DUE + timedelta(seconds=1), ANSWER)
    assert (met.status, met.stopped_at) == (ClockStatus.MET, DUE)
    assert late.status is ClockStatus.BREACHED and late.stopped_at == DUE + timedelta(seconds=1)
    assert kinds(met) == ["Started", "Met"] and kinds(late) == ["Started", "Breached"]


def test_an_open_clock_past_its_deadline_reads_breached_before_any_sweep() -> None:
    clock = started()
    assert clock.status_at(DUE) is ClockStatus.RUNNING
    assert clock.status_at(DUE + timedelta(microseconds=1)) is ClockStatus.BREACHED


def test_the_sweep_breaches_once_and_a_late_stop_keeps_it_breached() -> None:
    clock = started()
    assert not clock.breach_if_overdue(DUE)
    assert clock.breach_if_overdue(DUE + timedelta(seconds=1))
    assert not clock.breach_if_overdue(DUE + timedelta(days=1))
    clock.stop(DUE + timedelta(days=2), ANSWER)
    assert clock.status is ClockStatus.BREACHED and clock.stopped_at == DUE + timedelta(days=2)
    assert kinds(clock) == ["Started", "Breached", "StoppedAfterBreach"]


def test_a_stop_in_time_that_arrives_after_the_sweep_corrects_the_breach() -> None:
    clock = started()
    clock.breach_if_overdue(DUE + timedelta(seconds=1))
    clock.stop(DUE - timedelta(hours=1), ANSWER)  # closed in time; its event was in flight
    assert clock.status is ClockStatus.MET and clock.stopped_at == DUE - timedelta(hours=1)
    assert kinds(clock) == ["Started", "Breached", "Met"]


def test_the_earliest_stop_counts_whatever_order_the_streams_deliver_it_in() -> None:
    first_contact = rule("torino", "first_contact_5wd")
    clock = started(first_contact)
    clock.stop(RECEIVED + timedelta(days=9), first_contact)  # citizen contacted, too late
    clock.stop(RECEIVED + timedelta(days=1), first_contact)  # the mail had gone out in time
    clock.stop(RECEIVED + timedelta(days=2), first_contact)  # later again: nothing changes
    assert clock.status is ClockStatus.MET and clock.stopped_at == RECEIVED + timedelta(days=1)
    assert kinds(clock) == ["Started", "Breached", "StopBroughtForward"]


def test_waiting_for_the_citizen_suspends_a_legal_term_once() -> None:
    clock = started()
    clock.suspend(rome(2026, 9, 10, 16), ANSWER)
    assert clock.status is ClockStatus.PAUSED
    assert clock.deadline.date() == date(2026, 10, 31)  # the latest: if the wait lasts 30 days
    clock.resume(rome(2026, 9, 17, 9), ANSWER)  # 7 calendar days later
    assert clock.status_at(rome(2026, 9, 17, 9)) is ClockStatus.RUNNING
    assert clock.deadline == datetime.combine(date(2026, 10, 8), time(23, 59, 59), ROME)
    clock.suspend(rome(2026, 9, 20, 9), ANSWER)  # at most once (L. 241/1990 art. 2 c. 7)
    assert clock.status_at(rome(2026, 9, 20, 9)) is ClockStatus.RUNNING
    assert kinds(clock) == ["Started", "Suspended", "Resumed"]


def test_a_suspension_counts_at_most_its_maximum_and_breaches_after_it() -> None:
    clock = started()
    clock.suspend(rome(2026, 9, 10, 16), ANSWER)
    latest = clock.deadline  # 1 Oct + 30 days → Sat 31 Oct
    assert latest.date() == date(2026, 10, 31)
    assert clock.status_at(latest) is ClockStatus.PAUSED
    assert clock.breach_if_overdue(latest + timedelta(seconds=1))
    clock.resume(rome(2026, 12, 1, 9), ANSWER)  # too late to matter: it stays breached
    assert clock.status is ClockStatus.BREACHED


def test_a_stop_while_waiting_is_judged_on_the_suspended_term() -> None:
    clock = started()
    clock.suspend(rome(2026, 9, 30, 9), ANSWER)
    clock.stop(rome(2026, 10, 5, 9), ANSWER)  # after the unsuspended deadline, while waiting
    assert clock.status is ClockStatus.MET
    assert clock.deadline.date() == date(2026, 10, 6)  # 1 Oct + 5 days waited


def test_reopening_restarts_the_answer_clock_under_the_same_policy_version() -> None:
    clock = started()
    clock.stop(rome(2026, 9, 20, 9), ANSWER)
    clock.restart(rome(2026, 9, 25, 9), ANSWER, traceparent=None)
    assert clock.status is ClockStatus.RUNNING and clock.started_at == rome(2026, 9, 25, 9)
    assert clock.deadline.date() == date(2026, 10, 26)  # Sun 25 Oct moves to Monday
    assert clock.stopped_at is None and clock.policy_version == 1
    clock.stop(rome(2026, 9, 20, 9), ANSWER)  # a stop of the earlier run, redelivered
    assert clock.is_open
    clock.restart(rome(2026, 9, 26, 9), ANSWER, traceparent=None)  # running: nothing to restart
    assert kinds(clock) == ["Started", "Met", "Restarted"]


def test_the_warning_fires_once_between_its_share_and_the_deadline() -> None:
    clock = started()
    assert not clock.warn_if_due(clock.warning_at - timedelta(seconds=1))
    assert clock.warn_if_due(clock.warning_at)
    assert not clock.warn_if_due(clock.warning_at + timedelta(hours=1))
    late = started()
    assert not late.warn_if_due(DUE + timedelta(seconds=1))  # overdue: a breach, not a warning
    assert kinds(clock) == ["Started", "Warned"]


def test_reassignment_does_not_reset_a_clock() -> None:
    clock = started()
    clock.record_assignment("sepi")
    clock.record_assignment("pisamo")
    assert clock.started_at == RECEIVED and clock.deadline == DUE
    assert clock.organization == "pisamo"


def test_times_without_a_utc_offset_are_refused() -> None:
    with pytest.raises(NaiveTime):
        started(at=datetime(2026, 9, 1, 10))
    clock = started()
    with pytest.raises(NaiveTime):
        clock.stop(datetime(2026, 9, 2, 10), ANSWER)
    with pytest.raises(NaiveTime):
        clock.breach_if_overdue(datetime(2026, 12, 2, 10))
