"""The citizen's answer to the closing message's survey, and satisfaction per office."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sportello_shared import outages
from sportello_shared.edge import invalid

from ..domain import Satisfaction
from ..messages import office_name
from .deps import NotifyDep, start_of


class SurveyAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rating: int = Field(ge=1, le=5, description="1 (not at all satisfied) to 5 (very satisfied)")
    comment: str | None = Field(default=None, max_length=2000)
    reasons: list[Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")]] = Field(
        default_factory=list, max_length=10, description="the follow-up's chosen reasons"
    )


class SurveyState(BaseModel):
    """What the rating page needs before asking: open, answered already, or expired."""

    state: Literal["open", "answered", "expired"]
    tenant: str
    expires_at: datetime
    rating: int | None


class SurveyAnswered(BaseModel):
    case_id: str
    rating: int
    answered_at: str


class OfficeSatisfaction(BaseModel):
    organization: str | None
    name: str
    answers: int
    average: float
    ratings: dict[int, int]


class SatisfactionSummary(BaseModel):
    tenant: str
    from_: date = Field(serialization_alias="from")
    to: date
    answers: int
    offices: list[OfficeSatisfaction]


router = APIRouter(tags=["surveys"])
# The citizen answers from the link in the closing message, with no account and no bearer token:
# the unguessable survey token is the credential (one answer, then 409; expired, then 410).
citizen_router = APIRouter(tags=["surveys"])
Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@citizen_router.get("/surveys/{token}")
async def survey_state(token: Token, notify: NotifyDep) -> SurveyState:
    survey = await asyncio.to_thread(notify.app.survey, token)
    state: Literal["open", "answered", "expired"] = "open"
    if survey.answered_at is not None:
        state = "answered"
    elif notify.app.clock() > survey.expires_at:
        state = "expired"
    return SurveyState(
        state=state, tenant=survey.tenant, expires_at=survey.expires_at, rating=survey.rating
    )


@citizen_router.post("/surveys/{token}", status_code=201)
async def answer_survey(token: Token, body: SurveyAnswer, notify: NotifyDep) -> SurveyAnswered:
    survey = await notify.writer.call(
        notify.app.answer_survey, token, body.rating, body.comment, body.reasons
    )
    assert survey.rating is not None and survey.answered_at is not None
    return SurveyAnswered(
        case_id=survey.case_id, rating=survey.rating, answered_at=survey.answered_at.isoformat()
    )


@router.get("/surveys/summary", response_model_by_alias=True)
async def survey_summary(
    notify: NotifyDep,
    tenant: str,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> SatisfactionSummary:
    """Answers given from `from` to `to` inclusive, days as the tenant counts them."""
    known = notify.tenant(tenant)
    if end < start:
        invalid("to", it="non può essere prima di 'from'", en="must not be before 'from'")
    lines: list[Satisfaction] = await outages.read(
        notify.app.survey_summary,
        tenant,
        start_of(start, known),
        start_of(end + timedelta(days=1), known),
    )
    offices = [
        OfficeSatisfaction(
            organization=line.organization,
            name=office_name(known, line.organization),
            answers=line.answers,
            average=line.average,
            ratings=line.ratings,
        )
        for line in lines
    ]
    return SatisfactionSummary(
        tenant=tenant,
        from_=start,
        to=end,
        answers=sum(o.answers for o in offices),
        offices=offices,
    )
