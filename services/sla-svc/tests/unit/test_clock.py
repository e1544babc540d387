"""The Clock aggregate on its own: no I/O, every instant given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sportello_sla.domain import (
    ANSWER_30D,
    ROME,
    Clock,
    ClockStatus,
    NaiveTime,
    clock_id_for,
)

CASE = UUID("6f1c2a0e-3b5d-4e7f-8a9b-0c1d2e3f4a5b")
RECEIVED = datetime(2026, 1, 12, 9, 30, tzinfo=ROME)


def started_clock(received_at: datetime = RECEIVED, case_id: UUID = CASE) -> Clock:
    return Clock.start(
        case_id=case_id,
        tenant="rescaldina",
        organization=None,
        standard=ANSWER_30D,
        started_at=received_at,
    )


def kinds(clock: Clock) -> list[str]:
    return [type(e).__name__ for e in clock.collect_events()]


def test_a_clock_starts_running_with_a_deadline_30_calendar_days_later() -> None:
    clock = started_clock()
    assert clock.status is ClockStatus.RUNNING
    assert clock.standard == "answer_30d" and clock.policy_version == 1
    assert clock.started_at == RECEIVED
    assert clock.deadline == datetime(2026, 2, 11, 9, 30, tzinfo=ROME)
    assert clock.stopped_at is None
    assert kinds(clock) == ["Started"]


@pytest.mark.parametrize(
    ("received_at", "deadline", "elapsed"),
    [
        # summer time begins on 29 March 2026: the term is an hour shorter in elapsed time
        (
            datetime(2026, 3, 20, 10, 0, tzinfo=ROME),
            datetime(2026, 4, 19, 10, 0, tzinfo=ROME),
            timedelta(days=30) - timedelta(hours=1),
        ),
        # winter time returns on 25 October 2026: an hour longer
        (
            datetime(2026, 10, 10, 10, 0, tzinfo=ROME),
            datetime(2026, 11, 9, 10, 0, tzinfo=ROME),
            timedelta(days=30) + timedelta(hours=1),
        ),
    ],
)
def test_the_deadline_keeps_the_citys_wall_clock_time_across_a_dst_change(
    received_at: datetime, deadline: datetime, elapsed: timedelta
) -> None:
    clock = started_clock(received_at.astimezone(UTC))
    assert clock.deadline == deadline
    assert clock.deadline.astimezone(ROME).hour == 10
    assert clock.deadline - clock.started_at == elapsed


def test_starting_again_for_the_same_case_and_standard_finds_the_same_clock() -> None:
    first, again = started_clock(), started_clock()
    assert first.id == again.id == clock_id_for(CASE, "answer_30d")
    assert started_clock(case_id=uuid4()).id != first.id
    assert clock_id_for(CASE, "assignment_48h") != first.id


@pytest.mark.parametrize("before_deadline", [timedelta(days=3), timedelta(0)])
def test_stopped_at_or_before_the_deadline_is_met(before_deadline: timedelta) -> None:
    clock = started_clock()
    closed_at = clock.deadline - before_deadline
    clock.stop(closed_at)
    assert clock.status is ClockStatus.MET
    assert clock.stopped_at == closed_at
    assert kinds(clock) == ["Started", "Met"]


def test_stopped_after_the_deadline_is_breached() -> None:
    clock = started_clock()
    closed_at = clock.deadline + timedelta(seconds=1)
    clock.stop(closed_at)
    assert clock.status is ClockStatus.BREACHED
    assert clock.breached_at == clock.stopped_at == closed_at
    assert kinds(clock) == ["Started", "Breached"]


def test_the_sweep_breaches_a_running_clock_only_once_its_deadline_has_passed() -> None:
    clock = started_clock()
    assert not clock.breach_if_overdue(clock.deadline)
    assert clock.is_running
    now = clock.deadline + timedelta(minutes=5)
    assert clock.breach_if_overdue(now)
    assert clock.status is ClockStatus.BREACHED
    assert clock.breached_at == now and clock.stopped_at is None
    assert not clock.breach_if_overdue(now + timedelta(days=1))
    assert kinds(clock) == ["Started", "Breached"]


def test_a_clock_breached_by_the_sweep_stays_breached_and_records_when_it_stopped() -> None:
    clock = started_clock()
    swept_at = clock.deadline + timedelta(hours=1)
    clock.breach_if_overdue(swept_at)
    closed_at = swept_at + timedelta(days=2)
    clock.stop(closed_at)
    assert clock.status is ClockStatus.BREACHED
    assert clock.breached_at == swept_at and clock.stopped_at == closed_at
    assert kinds(clock) == ["Started", "Breached", "StoppedAfterBreach"]


def test_stopping_a_stopped_clock_changes_nothing() -> None:
    met = started_clock()
    met.stop(RECEIVED + timedelta(days=1))
    met.stop(RECEIVED + timedelta(days=2))
    assert met.stopped_at == RECEIVED + timedelta(days=1)
    assert kinds(met) == ["Started", "Met"]

    late = started_clock()
    late.stop(late.deadline + timedelta(days=1))
    late.stop(late.deadline + timedelta(days=2))
    assert late.stopped_at == late.deadline + timedelta(days=1)
    assert kinds(late) == ["Started", "Breached"]


def test_outcomes_carry_the_clock_context_and_the_organization_assigned_meanwhile() -> None:
    clock = started_clock()
    clock.record_assignment("ufficio-tecnico")
    clock.record_assignment("ufficio-tecnico")  # the same decision again: nothing new
    clock.stop(RECEIVED + timedelta(days=10))
    events = clock.collect_events()
    assert [type(e).__name__ for e in events] == ["Started", "AssignmentRecorded", "Met"]
    met = events[-1]
    assert isinstance(met, Clock.Met)
    assert (met.case_id, met.tenant, met.organization) == (CASE, "rescaldina", "ufficio-tecnico")
    assert (met.standard, met.policy_version, met.deadline) == ("answer_30d", 1, clock.deadline)


def test_times_without_a_utc_offset_are_refused() -> None:
    with pytest.raises(NaiveTime):
        started_clock(datetime(2026, 1, 12, 9, 30))
    clock = started_clock()
    with pytest.raises(NaiveTime):
        clock.stop(datetime(2026, 1, 20, 9, 30))
    with pytest.raises(NaiveTime):
        clock.breach_if_overdue(datetime(2026, 3, 20, 9, 30))
