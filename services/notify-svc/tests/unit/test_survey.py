"""The satisfaction survey on its own: one answer, 1 to 5, before it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sportello_notify.domain import (
    InvalidRating,
    Survey,
    SurveyAlreadyAnswered,
    SurveyExpired,
    satisfaction_by_office,
    survey_id_for,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def offered(token: str = "a-token-of-enough-length") -> Survey:
    return Survey.offer(
        token=token,
        case_id="c1",
        tenant="casale-monferrato",
        organization="urp",
        notification_id=uuid4(),
        offered_at=T0,
        expires_at=T0 + timedelta(days=30),
    )


def test_the_survey_is_found_by_its_token_only() -> None:
    assert offered().id == survey_id_for("a-token-of-enough-length")
    assert offered("another-token-entirely").id != offered().id


def test_one_answer_before_it_expires() -> None:
    survey = offered()
    survey.answer(4, "Gentili e rapidi", T0 + timedelta(days=3))
    assert (survey.rating, survey.comment) == (4, "Gentili e rapidi")
    with pytest.raises(SurveyAlreadyAnswered):
        survey.answer(5, None, T0 + timedelta(days=4))


def test_no_answer_after_it_expired_nor_out_of_scale() -> None:
    with pytest.raises(SurveyExpired):
        offered().answer(3, None, T0 + timedelta(days=30, seconds=1))
    for rating in (0, 6):
        with pytest.raises(InvalidRating):
            offered().answer(rating, None, T0)


@given(st.lists(st.tuples(st.sampled_from(["urp", "polizia-locale", None]), st.integers(1, 5))))
def test_satisfaction_per_office_counts_every_answer_once(
    answers: list[tuple[str | None, int]],
) -> None:
    lines = satisfaction_by_office(answers)
    assert sum(line.answers for line in lines) == len(answers)
    for line in lines:
        mine = [r for o, r in answers if o == line.organization]
        assert line.answers == len(mine) == sum(line.ratings.values())
        assert 1 <= line.average <= 5
        assert line.average == round(sum(mine) / len(mine), 2)
