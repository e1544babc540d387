"""The satisfaction survey offered with a closing message: one answer, 1 to 5, before it expires.

The citizen reaches it through a single-use token in the message. The aggregate's id is derived
from the token (uuid5 is a one-way hash), so the token itself is needed to find it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from sportello_shared.worded import Worded

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


class InvalidRating(SurveyError, Worded):
    """A rating outside 1-5, said in both languages."""


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
        self.reasons: list[str] = []

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

    def answer(
        self, rating: int, comment: str | None, at: datetime, reasons: Sequence[str] = ()
    ) -> None:
        """`reasons`: Designers Italia's follow-up, what went well (4-5) or wrong (1-3)."""
        if rating not in RATINGS:
            raise InvalidRating(
                f"rating must be 1 to 5, not {rating}", it=f"il voto va da 1 a 5, non {rating}"
            )
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
            reasons=list(reasons),
        )

    class Answered(Aggregate.Event):
        """v2 added `reasons`."""

        class_version = 2
        personal_data: ClassVar[dict[str, Any]] = {"comment": None}  # the citizen's own words
        personal_data_subject: ClassVar[str] = "case_id"

        case_id: str
        tenant: str
        organization: str | None
        rating: int
        comment: str | None
        at: datetime
        reasons: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reasons"] = []

    @event(Answered)
    def _answered(
        self,
        case_id: str,
        tenant: str,
        organization: str | None,
        rating: int,
        comment: str | None,
        at: datetime,
        reasons: list[str],
    ) -> None:
        self.reasons = reasons
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
