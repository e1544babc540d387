"""Deadline arithmetic for every standard: examples around the holidays, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sportello_sla.calendars import ROME, TenantCalendar
from sportello_sla.policies import Rule
from sportello_sla.terms import LimitKind, NaiveTime, Suspension, working_days_term

from .conftest import CATALOGUE, rome, rule

EVERY_RULE = [  # every standard of every policy version (a later one may add standards)
    rule(tenant, standard.id, version.version)
    for tenant in CATALOGUE
    for version in CATALOGUE[tenant].policy.versions
    for standard in version.standards
]
RULE_IDS = [f"{r.calendar.patron_saint}:{r.id}" for r in EVERY_RULE]
END = time(23, 59, 59)


def due(tenant: str, standard: str, start: datetime) -> datetime:
    deadline: datetime = rule(tenant, standard).deadline(start)
    return deadline.astimezone(ROME)


# --- legal terms: 30 calendar days, moved past Sundays and national holidays --------------------


@pytest.mark.parametrize(
    ("tenant", "standard"),
    [
        ("rescaldina", "answer_30d"),
        ("pisa", "answer_30d"),
        ("torino", "complaint_answer_30d"),
        ("casale-monferrato", "attestation_30d"),
    ],
)
@pytest.mark.parametrize(
    ("received", "deadline_day"),
    [
        (rome(2026, 9, 4, 10), date(2026, 10, 5)),  # Sun 4 Oct, San Francesco
        (rome(2027, 9, 4, 10), date(2027, 10, 5)),  # Mon 4 Oct 2027, San Francesco
        (rome(2025, 9, 4, 10), date(2025, 10, 4)),  # a plain Saturday before 2026
        (rome(2026, 11, 6, 10), date(2026, 12, 7)),  # Sun 6 Dec; Sant'Ambrogio moves nothing
        (rome(2026, 3, 6, 10), date(2026, 4, 7)),  # Easter Sunday, then Easter Monday
        (rome(2026, 3, 26, 10), date(2026, 4, 27)),  # Sat 25 April, then a Sunday
        (rome(2026, 4, 1, 10), date(2026, 5, 2)),  # 1 May, to a Saturday that stays
        (rome(2026, 5, 3, 10), date(2026, 6, 3)),  # 2 June
        (rome(2026, 7, 16, 10), date(2026, 8, 17)),  # Sat 15 August, then a Sunday
        (rome(2026, 10, 2, 10), date(2026, 11, 2)),  # Sun 1 November
        (rome(2026, 11, 8, 10), date(2026, 12, 9)),  # 8 December
        (rome(2026, 11, 25, 10), date(2026, 12, 28)),  # Christmas, Santo Stefano, Sunday
        (rome(2026, 5, 25, 10), date(2026, 6, 24)),  # Torino's patron does not move it
        (rome(2026, 5, 18, 10), date(2026, 6, 17)),  # nor does Pisa's
        (rome(2026, 3, 1, 10), date(2026, 3, 31)),  # across the spring DST change
        (rome(2026, 10, 1, 10), date(2026, 10, 31)),  # across the autumn DST change
        (rome(2026, 3, 31, 23, 30), date(2026, 4, 30)),  # the receipt day is Rome's, not UTC's
    ],
)
def test_legal_terms(tenant: str, standard: str, received: datetime, deadline_day: date) -> None:
    deadline = due(tenant, standard, received.astimezone(UTC))
    assert (deadline.date(), deadline.time()) == (deadline_day, END)
    assert deadline.utcoffset() == datetime.combine(deadline_day, END, ROME).utcoffset()


# --- working days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "deadline_day"),
    [
        (rome(2026, 6, 19, 10), date(2026, 6, 29)),  # skips 24 June, Torino's patron
        (rome(2026, 4, 2, 10), date(2026, 4, 10)),  # skips Easter Monday
        (rome(2026, 4, 28, 10), date(2026, 5, 6)),  # skips 1 May
        (rome(2026, 5, 29, 10), date(2026, 6, 8)),  # skips 2 June
        (rome(2026, 12, 4, 10), date(2026, 12, 14)),  # skips 8 December
        (rome(2026, 12, 23, 10), date(2026, 12, 31)),  # skips Christmas
        (rome(2026, 10, 23, 10), date(2026, 10, 30)),  # across the autumn DST change
        (rome(2026, 6, 14, 10), date(2026, 6, 19)),  # received on a Sunday
    ],
)
def test_torino_first_contact_in_5_working_days(received: datetime, deadline_day: date) -> None:
    deadline = due("torino", "first_contact_5wd", received)
    assert (deadline.date(), deadline.time()) == (deadline_day, END)


@pytest.mark.parametrize(
    ("received", "deadline_day"),
    [
        (rome(2026, 11, 11, 10), date(2026, 11, 16)),  # skips Sant'Evasio, Casale's patron
        (rome(2026, 8, 13, 10), date(2026, 8, 17)),  # 15 August falls on the weekend
        (rome(2027, 10, 1, 10), date(2027, 10, 6)),  # skips Mon 4 October 2027
        (rome(2027, 10, 29, 10), date(2027, 11, 3)),  # skips Mon 1 November 2027
        (rome(2026, 4, 24, 16), date(2026, 4, 28)),  # 25 April on a Saturday: no effect
        (rome(2026, 10, 3, 10), date(2026, 10, 6)),  # received on a Saturday
    ],
)
def test_casale_forwarding_in_2_working_days(received: datetime, deadline_day: date) -> None:
    deadline = due("casale-monferrato", "forwarding_2wd", received)
    assert (deadline.date(), deadline.time()) == (deadline_day, END)


# --- hours --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (rome(2026, 12, 23, 18), rome(2026, 12, 28, 18)),  # 24 Dec prefestivo, 25-27 festivi
        (rome(2026, 3, 27, 18), rome(2026, 3, 30, 18)),  # Saturday, then DST Sunday
        (rome(2026, 10, 23, 20), rome(2026, 10, 26, 20)),  # Saturday, then the 25-hour Sunday
        (rome(2026, 6, 22, 12), rome(2026, 6, 25, 12)),  # the patron's eve and the patron
        (rome(2026, 4, 3, 20), rome(2026, 4, 7, 20)),  # Easter Saturday, Sunday, Monday
        (rome(2026, 4, 30, 12), rome(2026, 5, 5, 0)),  # 30 Apr eve of 1 May, Sat, Sun: all Monday
        (rome(2026, 6, 1, 12), rome(2026, 6, 4, 0)),  # the eve of 2 June and 2 June: all 3 June
        (rome(2026, 12, 30, 12), rome(2027, 1, 4, 12)),  # 31 Dec, 1 Jan, Saturday, Sunday
    ],
)
def test_torino_voicemail_callback_without_festivi_and_prefestivi(
    received: datetime, deadline: datetime
) -> None:
    assert due("torino", "voicemail_callback_24h", received) == deadline


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (rome(2026, 6, 16, 18), rome(2026, 6, 18, 18)),  # 17 June, San Ranieri
        (rome(2026, 12, 24, 12), rome(2026, 12, 28, 12)),  # Christmas, Santo Stefano, Sunday
        (rome(2026, 8, 14, 12), rome(2026, 8, 17, 12)),  # Sat 15 August, Sunday
        (rome(2026, 3, 28, 12), rome(2026, 3, 30, 12)),  # Saturday counts; DST Sunday does not
        (rome(2026, 10, 31, 12), rome(2026, 11, 2, 12)),  # Saturday counts, Sun 1 November not
        (rome(2026, 6, 1, 12), rome(2026, 6, 3, 12)),  # 2 June
    ],
)
def test_pisa_callback_without_festivi(received: datetime, deadline: datetime) -> None:
    assert due("pisa", "callback_24h", received) == deadline


@pytest.mark.parametrize(
    ("tenant", "standard", "received", "deadline"),
    [
        ("rescaldina", "assignment_48h", rome(2026, 3, 28, 10), rome(2026, 3, 30, 11)),
        ("rescaldina", "assignment_48h", rome(2026, 10, 24, 10), rome(2026, 10, 26, 9)),
        ("rescaldina", "assignment_48h", rome(2026, 12, 24, 10), rome(2026, 12, 26, 10)),
        ("marcallo", "feedback_24h", rome(2026, 10, 24, 10), rome(2026, 10, 25, 9)),
        ("marcallo", "feedback_24h", rome(2026, 3, 28, 22), rome(2026, 3, 29, 23)),
        ("marcallo", "feedback_24h", rome(2026, 8, 15, 9), rome(2026, 8, 16, 9)),
    ],
)
def test_plain_hours_are_real_elapsed_hours_across_dst(
    tenant: str, standard: str, received: datetime, deadline: datetime
) -> None:
    assert due(tenant, standard, received) == deadline


# --- suspensions ---------------------------------------------------------------------------------


def test_a_suspension_extends_a_legal_term_by_its_calendar_days() -> None:
    answer = rule("pisa", "answer_30d")
    start = rome(2026, 9, 1, 10)
    waited = [Suspension(rome(2026, 9, 10, 16), rome(2026, 9, 17, 9))]  # 7 calendar days
    assert answer.deadline(start, waited).astimezone(ROME) == datetime.combine(
        date(2026, 10, 8), END, ROME
    )


def test_a_suspension_extends_hours_by_the_counted_time_it_took() -> None:
    callback = rule("pisa", "callback_24h")
    start = rome(2026, 6, 15, 9)  # Monday
    waited = [Suspension(rome(2026, 6, 15, 12), rome(2026, 6, 16, 12))]  # 24 counted hours
    assert callback.deadline(start, waited).astimezone(ROME) == rome(2026, 6, 18, 9)


def test_a_start_without_offset_is_refused() -> None:
    with pytest.raises(NaiveTime):
        rule("pisa", "answer_30d").deadline(datetime(2026, 9, 4, 10))


# --- properties ---------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@pytest.mark.parametrize("r", EVERY_RULE, ids=RULE_IDS)
@given(first=starts, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)))
@settings(max_examples=60, deadline=None)
def test_deadlines_are_monotonic_in_the_start(r: Rule, first: datetime, later: timedelta) -> None:
    assert r.deadline(first) > first
    assert r.deadline(first) <= r.deadline(first + later)


@pytest.mark.parametrize("r", EVERY_RULE, ids=RULE_IDS)
@given(start=starts)
@settings(max_examples=80, deadline=None)
def test_never_due_on_an_excluded_day(r: Rule, start: datetime) -> None:
    deadline = r.deadline(start).astimezone(ROME)
    limit, cal = r.standard.limit, r.calendar
    if limit.kind is LimitKind.LEGAL_DAYS:
        assert deadline.time() == END and not cal.moves_a_legal_term(deadline.date())
        first_possible = cal.local_date(start) + timedelta(days=limit.amount)
        skipped = (
            first_possible + timedelta(days=n)
            for n in range((deadline.date() - first_possible).days)
        )
        assert all(cal.moves_a_legal_term(day) for day in skipped)  # moved no further than needed
    elif limit.kind is LimitKind.WORKING_DAYS:
        assert deadline.time() == END and cal.is_working_day(deadline.date())
        days = (cal.local_date(start) + timedelta(days=n) for n in range(1, 400))
        counted = [d for d in days if d <= deadline.date() and cal.is_working_day(d)]
        assert len(counted) == limit.amount
    else:
        last_counted_instant = (deadline - timedelta(microseconds=1)).date()
        assert not limit._excluded(last_counted_instant, cal)


@pytest.mark.parametrize(
    "r", [r for r in EVERY_RULE if r.standard.limit.kind is LimitKind.HOURS], ids=lambda r: r.id
)
@given(start=starts)
@settings(max_examples=80, deadline=None)
def test_hours_count_real_time_on_counted_days_only_dst_included(r: Rule, start: datetime) -> None:
    """Summed day by day, the counted time between start and deadline is exactly the limit,
    whatever DST did in between (23- and 25-hour days)."""
    deadline = r.deadline(start)
    limit, cal = r.standard.limit, r.calendar
    counted = timedelta(0)
    day = cal.local_date(start)
    while cal.start_of(day) < deadline:
        day_start = max(cal.start_of(day), start)
        day_end = min(cal.start_of(day + timedelta(days=1)), deadline)
        if not limit._excluded(day, cal):
            counted += day_end.astimezone(UTC) - day_start.astimezone(UTC)
        day += timedelta(days=1)
    assert counted == timedelta(hours=limit.amount)


@pytest.mark.parametrize("r", EVERY_RULE, ids=RULE_IDS)
@given(start=starts)
@settings(max_examples=40, deadline=None)
def test_the_warning_comes_before_the_deadline(r: Rule, start: datetime) -> None:
    deadline = r.deadline(start)
    assert start <= r.warning(start, deadline) <= deadline


@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    st.integers(min_value=1, max_value=40),
)
@settings(max_examples=200, deadline=None)
def test_working_day_terms_are_the_same_whether_computed_or_remembered(
    first: date, days: int
) -> None:
    """The N-th working day is remembered per (day, N, calendar): a comune whose patron saint
    falls in between must not get another comune's answer, nor a second asking another one."""
    start = datetime.combine(first, time(10), tzinfo=ROME)
    patron = first + timedelta(days=1)
    calendars = (TenantCalendar(), TenantCalendar(patron_saint=(patron.month, patron.day)))
    for calendar in calendars * 2:
        day, counted = first, 0
        while counted < days:
            day += timedelta(days=1)
            counted += calendar.is_working_day(day)
        assert working_days_term(start, days, calendar) == calendar.end_of(day)
