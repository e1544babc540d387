"""A report waiting for its author to confirm their e-mail address, then registered once.

The confirmation link carries a one-time token; the Submission's id is derived from it (uuid5 is
one-way), so only the token finds it. Confirming again after success shows the same case; after
24 hours the link has expired and the report must be sent again.

The report (name, e-mail, place, text) is sealed under a key of the submission's own
(`personal_data`, crypto-shredding): once the case is registered with intake the key is deleted
at once (intake holds the case file now), and a report never confirmed loses it after
`PUBLIC_SUBMISSION_RETENTION_DAYS` (`erase_stale`, run by the worker in retention.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from .sealing import SealedReports

SUBMISSION_NAMESPACE = UUID("e4b7a0c9-1f2d-4e3b-9a8c-7d6e5f4a3b21")
CONFIRMATION_VALID = timedelta(hours=24)


def submission_id_for(token: str) -> UUID:
    return uuid5(SUBMISSION_NAMESPACE, token)


class SubmissionError(Exception):
    pass


class SubmissionNotFound(SubmissionError, LookupError):
    pass


class ConfirmationExpired(SubmissionError):
    pass


class Submission(Aggregate):
    class Drafted(Aggregate.Created):
        # sealed under the submission's own key; erased, the report reads as empty
        personal_data: ClassVar[dict[str, Any]] = {"report": {}}
        personal_data_subject: ClassVar[str] = "submission_id"

        tenant: str
        submission_id: str
        report: dict[str, Any]
        drafted_at: datetime
        expires_at: datetime

    @event(Drafted)
    def __init__(
        self,
        tenant: str,
        submission_id: str,
        report: dict[str, Any],
        drafted_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.tenant = tenant
        self.submission_id = submission_id
        self.report = report
        self.drafted_at = drafted_at
        self.expires_at = expires_at
        self.reference: str | None = None
        self.follow_token: str | None = None

    @classmethod
    def draft(
        cls, token: str, tenant: str, submission_id: str, report: dict[str, Any], at: datetime
    ) -> Submission:
        return cls._create(
            cls.Drafted,
            id=submission_id_for(token),
            tenant=tenant,
            submission_id=submission_id,
            report=report,
            drafted_at=at,
            expires_at=at + CONFIRMATION_VALID,
        )

    @property
    def registered(self) -> bool:
        return self.follow_token is not None

    @property
    def erased(self) -> bool:
        """Its report's key was deleted: nothing of what the citizen typed is left."""
        return not self.report

    def check_confirmable(self, at: datetime) -> None:
        if not self.registered and (at > self.expires_at or self.erased):
            raise ConfirmationExpired("the confirmation link has expired")

    @event("Registered")
    def record_registration(self, reference: str, follow_token: str, at: datetime) -> None:
        self.reference = reference
        self.follow_token = follow_token


DRAFTED_TOPIC = get_topic(Submission.Drafted)
REGISTRATION_ACTOR = "public-site"  # the key goes once intake holds the case
RETENTION_ACTOR = "retention"
SWEEP_BATCH = 500


class PublicApplication(SealedReports, Application[UUID]):
    name = "public"
    _swept_to = 0  # notifications before this one hold no live report

    def draft(
        self, token: str, tenant: str, submission_id: str, report: dict[str, Any], at: datetime
    ) -> Submission:
        submission = Submission.draft(token, tenant, submission_id, report, at)
        self.save(submission)
        return submission

    def submission(self, token: str, tenant: str) -> Submission:
        try:
            found: Submission = self.repository.get(submission_id_for(token))
        except AggregateNotFoundError:
            raise SubmissionNotFound("no report for this link") from None
        if found.tenant != tenant:
            raise SubmissionNotFound("no report for this link")
        return found

    def record_registration(
        self, token: str, tenant: str, reference: str, follow_token: str, at: datetime
    ) -> Submission:
        submission = self.submission(token, tenant)
        if not submission.registered:
            submission.record_registration(reference, follow_token, at)
            self.save(submission)
        if not submission.erased:
            self.vault.erase([submission.submission_id], REGISTRATION_ACTOR, at)
        return submission

    def erase_stale(self, now: datetime, unconfirmed_for: timedelta) -> int:
        """Delete the key of every report drafted before `now - unconfirmed_for` and of every
        registered one still holding its key; the number of reports erased."""
        cutoff = now - unconfirmed_for
        erased, start, waiting = 0, self._swept_to + 1, False
        while True:
            batch = self.recorder.select_notifications(start, SWEEP_BATCH, topics=[DRAFTED_TOPIC])
            for notification in batch:
                drafted = self.mapper.to_domain_event(notification)
                subject = str(getattr(drafted, "submission_id", ""))
                # no key: erased already, or drafted before reports were sealed
                live = isinstance(self.vault.key(subject, create=False), bytes)
                if live and getattr(drafted, "drafted_at", now) <= cutoff:
                    self.vault.erase([subject], RETENTION_ACTOR, now)
                    erased, live = erased + 1, False
                elif live and self._registered(UUID(str(notification.originator_id))):
                    self.vault.erase([subject], REGISTRATION_ACTOR, now)
                    erased, live = erased + 1, False
                waiting = waiting or live
                if not waiting:  # the next run starts after the last report left behind
                    self._swept_to = notification.id
            if len(batch) < SWEEP_BATCH:
                return erased
            start = batch[-1].id + 1

    def _registered(self, submission_id: UUID) -> bool:
        submission: Submission = self.repository.get(submission_id)
        return submission.registered
