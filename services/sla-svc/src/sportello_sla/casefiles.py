"""What sla-svc keeps of a case besides its clocks: its facts, and the citizen's rating.

Pure aggregates, no I/O. A case's facts (tenant, kind, channel, category, handling mode) decide
which standards apply, including those that start later (e.g. on `case.resolved`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .policies import CaseFacts

PROFILE_NAMESPACE = UUID("5d0b8f3e-2f61-4f0e-9d52-8a1f4c7e6b90")
RATING_NAMESPACE = UUID("9a7e3c21-64d5-4b8f-a0c2-1e5f7d9b3a46")


def profile_id_for(case_id: UUID) -> UUID:
    return uuid5(PROFILE_NAMESPACE, str(case_id))


class CaseProfile(Aggregate):
    """The facts of one case that standards look at, and who handles it now."""

    class Registered(Aggregate.Created):
        case_id: UUID
        tenant: str
        kind: str
        channel: str
        category: str
        handling_mode: str | None
        received_at: datetime

    @event(Registered)
    def __init__(
        self,
        case_id: UUID,
        tenant: str,
        kind: str,
        channel: str,
        category: str,
        handling_mode: str | None,
        received_at: datetime,
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.kind = kind
        self.channel = channel
        self.category = category
        self.handling_mode = handling_mode
        self.received_at = received_at
        self.organization: str | None = None

    @staticmethod
    def create_id(case_id: UUID, **_: object) -> UUID:
        return profile_id_for(case_id)

    @property
    def facts(self) -> CaseFacts:
        return CaseFacts(
            kind=self.kind,
            channel=self.channel,
            category=self.category,
            handling_mode=self.handling_mode,
        )

    def record_assignment(self, organization: str) -> None:
        if organization != self.organization:
            self._assigned(organization=organization)

    @event("Assigned")
    def _assigned(self, organization: str) -> None:
        self.organization = organization

    def record_classification(self, kind: str, category: str) -> bool:
        """The triage said what the case is about; False if it said so already."""
        if (kind, category) == (self.kind, self.category):
            return False
        self._classified(kind=kind, category=category)
        return True

    @event("Classified")
    def _classified(self, kind: str, category: str) -> None:
        self.kind = kind
        self.category = category


class SatisfactionRating(Aggregate):
    """A citizen's 1-5 rating of how an office handled a case (one per case and answer)."""

    class Given(Aggregate.Created):
        case_id: UUID
        tenant: str
        organization: str | None
        rating: int
        at: datetime

    @event(Given)
    def __init__(
        self, case_id: UUID, tenant: str, organization: str | None, rating: int, at: datetime
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.organization = organization
        self.rating = rating
        self.at = at

    @staticmethod
    def create_id(case_id: UUID, at: datetime, **_: object) -> UUID:
        return uuid5(RATING_NAMESPACE, f"{case_id}/{at.isoformat()}")
