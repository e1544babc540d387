"""The satisfaction survey offered with a closing message: one answer, 1 to 5, before it expires.

The citizen reaches it through a single-use token in the message. The aggregate's id is derived
from the token (uuid5 is a one-way hash), so the token itself is needed to find it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

SURVEY_NAMESPACE = UUID("0d8f7f3c-4f5e-4a57-8d55-6a6e2b2f9c11")
RATINGS = range(1, 6)  # Designers Italia's 1-5 rating


def survey_id_for(token: str) -> UUID:
    return uuid5(SURVEY_NAMESPACE, token)


class SurveyError(Exception):
    """Base of what a Survey refuses."""


class SurveyExpired(SurveyError):
    pass


class SurveyAlreadyAnswered(SurveyError):
    pass


class InvalidRating(SurveyError, ValueError):
    pass


class Survey(Aggregate):
    class Offered(Aggregate.Created):
        case_id: str
        tenant: str
        organization: str | None
        notification_id: UUID
        offered_at: datetime
        expires_at: datetime

    @event(Offered)
    def __init__(
        self,
        case_id: str,
        tenant: str,
        organization: str | None,
        notification_id: UUID,
        offered_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.organization = organization
        self.notification_id = notification_id
        self.offered_at = offered_at
        self.expires_at = expires_at
        self.rating: int | None = None
        self.comment: str | None = None
        self.answered_at: datetime | None = None

    @classmethod
    def offer(
        cls,
        *,
        token: str,
        case_id: str,
        tenant: str,
        organization: str | None,
        notification_id: UUID,
        offered_at: datetime,
        expires_at: datetime,
    ) -> Survey:
        return cls._create(
            cls.Offered,
            id=survey_id_for(token),
            case_id=case_id,
            tenant=tenant,
            organization=organization,
            notification_id=notification_id,
            offered_at=offered_at,
            expires_at=expires_at,
        )

    def answer(self, rating: int, comment: str | None, at: datetime) -> None:
        if rating not in RATINGS:
            raise InvalidRating(f"rating must be 1 to 5, not {rating}")
        if self.answered_at is not None:
            raise SurveyAlreadyAnswered("this survey has already been answered")
        if at > self.expires_at:
            raise SurveyExpired(f"this survey expired on {self.expires_at.date().isoformat()}")
        self._answered(
            case_id=self.case_id,
            tenant=self.tenant,
            organization=self.organization,
            rating=rating,
            comment=comment or None,
            at=at,
        )

    class Answered(Aggregate.Event):
        personal_data: ClassVar[dict[str, Any]] = {"comment": None}  # the citizen's own words
        personal_data_subject: ClassVar[str] = "case_id"

        case_id: str
        tenant: str
        organization: str | None
        rating: int
        comment: str | None
        at: datetime

    @event(Answered)
    def _answered(
        self,
        case_id: str,
        tenant: str,
        organization: str | None,
        rating: int,
        comment: str | None,
        at: datetime,
    ) -> None:
        self.rating = rating
        self.comment = comment
        self.answered_at = at


@dataclass(frozen=True)
class Satisfaction:
    """Answers for one office over a period: how many, their mean and each rating's count."""

    organization: str | None
    answers: int
    average: float
    ratings: dict[int, int]


def satisfaction_by_office(answers: Iterable[tuple[str | None, int]]) -> list[Satisfaction]:
    """(organization, rating) pairs → one line per office, offices in name order."""
    by_office: dict[str | None, list[int]] = defaultdict(list)
    for organization, rating in answers:
        by_office[organization].append(rating)
    return [
        Satisfaction(
            organization=organization,
            answers=len(ratings),
            average=round(mean(ratings), 2),
            ratings={r: ratings.count(r) for r in RATINGS},
        )
        for organization, ratings in sorted(by_office.items(), key=lambda kv: kv[0] or "")
    ]
