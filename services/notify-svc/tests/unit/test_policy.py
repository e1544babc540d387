"""Each tenant's notify policy: quiet hours for SMS, languages, triggers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sportello_notify.domain import NotifyPolicy, QuietHours, Template, Triggers

ROME = "Europe/Rome"
NIGHT = QuietHours(start=time(21, 0), end=time(8, 0))


def rome(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(ROME))


@pytest.mark.parametrize(
    ("at", "until"),
    [
        (rome(2026, 3, 2, 12, 0), None),
        (rome(2026, 3, 2, 20, 59), None),
        (rome(2026, 3, 2, 21, 0), rome(2026, 3, 3, 8, 0)),
        (rome(2026, 3, 3, 2, 30), rome(2026, 3, 3, 8, 0)),
        (rome(2026, 3, 3, 8, 0), None),
        # the night the clocks go forward (29 March 2026): 8:00 is still 8:00 local time
        (rome(2026, 3, 28, 23, 0), rome(2026, 3, 29, 8, 0)),
    ],
)
def test_an_sms_at_night_waits_for_the_morning(at: datetime, until: datetime | None) -> None:
    assert NIGHT.hold_until(at.astimezone(UTC), ROME) == until


def test_quiet_hours_within_one_day_and_none_at_all() -> None:
    lunch = QuietHours(start=time(13, 0), end=time(14, 0))
    assert lunch.hold_until(rome(2026, 3, 2, 13, 30), ROME) == rome(2026, 3, 2, 14, 0)
    assert lunch.hold_until(rome(2026, 3, 2, 14, 0), ROME) is None
    never = QuietHours(start=time(0, 0), end=time(0, 0))
    assert never.hold_until(rome(2026, 3, 2, 3, 0), ROME) is None


def _is_quiet(hours: QuietHours, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(ROME)).time()
    if hours.start < hours.end:
        return hours.start <= local < hours.end
    return local >= hours.start or local < hours.end


@given(
    at=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    start=st.times(),
    end=st.times(),
)
def test_a_held_sms_goes_out_at_the_first_moment_quiet_hours_end(
    at: datetime, start: time, end: time
) -> None:
    hours = QuietHours(start=start.replace(microsecond=0), end=end.replace(microsecond=0))
    until = hours.hold_until(at, ROME)
    if until is None:
        # not quiet, or quiet only by the repeated hour's wall clock when the clocks go back
        assert (
            not _is_quiet(hours, at)
            or hours.start == hours.end
            or at.astimezone(ZoneInfo(ROME)).fold
        )
        return
    assert _is_quiet(hours, at)
    assert at < until <= at + timedelta(hours=25)  # one night, DST included
    assert not _is_quiet(hours, until)
    if until - timedelta(seconds=1) > at:
        assert _is_quiet(hours, until - timedelta(seconds=1))  # the first moment, not later


def test_languages_fall_back_to_italian_and_triggers_can_be_turned_off() -> None:
    policy = NotifyPolicy(languages=("it",), triggers=Triggers(received=False))
    assert policy.language_for("en") == "it"
    assert NotifyPolicy().language_for("en") == "en"
    assert not policy.triggers.enabled(Template.RECEIVED)
    assert policy.triggers.enabled(Template.CLOSED)
    assert policy.triggers.enabled(Template.DELIVERY_FAILED)  # not configurable: always told


def test_the_follow_link_and_bad_configurations() -> None:
    policy = NotifyPolicy(follow_url="https://sportello.example/segnalazioni/{reference}")
    assert policy.follow_link("c1", "TO-2026-000001") == (
        "https://sportello.example/segnalazioni/TO-2026-000001"
    )
    assert NotifyPolicy().follow_link("c1", "TO-1") == ""
    with pytest.raises(ValidationError, match="webhooks"):
        NotifyPolicy.model_validate({"webhooks": {"urp": {"url": "ftp://x"}}})
    with pytest.raises(ValidationError, match="valid_days"):
        NotifyPolicy.model_validate({"survey": {"valid_days": 0}})
