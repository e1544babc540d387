"""notify-svc use cases of the satisfaction survey: the page behind a closing message's link, its
answer, and the satisfaction per office."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from eventsourcing.utils import get_topic

from .domain import Satisfaction, Survey, satisfaction_by_office, survey_id_for
from .requesting import Requesting


class SurveyNotFound(LookupError):
    pass


class Surveying(Requesting):
    def survey(self, token: str) -> Survey:
        """The survey behind a closing message's link (the rating page shows its state)."""
        survey = self._find(Survey, survey_id_for(token))
        if survey is None:
            raise SurveyNotFound("no survey for this link")
        return survey

    def answer_survey(
        self, token: str, rating: int, comment: str | None, reasons: Sequence[str] = ()
    ) -> Survey:
        survey = self.survey(token)
        survey.answer(rating, comment, self.clock(), reasons)
        self.save(survey)
        return survey

    def survey_summary(self, tenant: str, start: datetime, end: datetime) -> list[Satisfaction]:
        """Satisfaction per office for answers given in [start, end).

        Reads the answers off the log, filtered by topic: answers are few next to everything else.
        """
        topics = [get_topic(Survey.Answered)]
        answers: list[tuple[str | None, int]] = []
        position = 0
        while page := self.recorder.select_notifications(
            start=position, limit=500, topics=topics, inclusive_of_start=False
        ):
            for stored in page:
                answered = self.mapper.to_domain_event(stored)
                assert isinstance(answered, Survey.Answered)
                if answered.tenant == tenant and start <= answered.at < end:
                    answers.append((answered.organization, answered.rating))
            position = page[-1].id
        return satisfaction_by_office(answers)
