"""Publishing a year's report: what was reviewed is frozen, with its digest, for everyone to read.

The reviewer reads a draft as of an instant (its `as_of`) and sees its digest; publishing names
both. The report is built again as of that instant and published only if its digest is the one
reviewed: whatever changed in between (a late stop, a cause written) makes the reviewer look
again. Once published, a year's report never changes; it is served from the frozen figures.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .annual_model import AnnualReport
from .calendars import ROME

PUBLICATION_NAMESPACE = UUID("8b1f5d2e-7c43-4a69-b0e8-2d9c6f4a1e37")


class PublicationRefused(Exception):
    """The report cannot be published as asked (409)."""


class AlreadyPublished(PublicationRefused):
    def __init__(self, tenant: str, year: int) -> None:
        super().__init__(f"the {year} report of {tenant} is already published: it never changes")


class ReviewedReportChanged(PublicationRefused):
    def __init__(self, reviewed: str, now: str) -> None:
        super().__init__(
            f"the report is not the one reviewed (digest {reviewed[:12]}…, now {now[:12]}…): "
            "read the draft again and publish what you read"
        )


class YearNotOver(PublicationRefused):
    def __init__(self, year: int) -> None:
        super().__init__(f"the figures are as of a day within {year}: a year is reported after it")


class NotPublished(LookupError):
    def __init__(self, tenant: str, year: int) -> None:
        super().__init__(f"the {year} report of {tenant} has not been published")


def publication_id(tenant: str, year: int) -> UUID:
    return uuid5(PUBLICATION_NAMESPACE, f"{tenant}/{year}")


class PublishedReport(Aggregate):
    """One year's published report of one tenant: its frozen figures and their digest."""

    class Published(Aggregate.Created):
        tenant: str
        year: int
        digest: str
        figures: str
        published_by: str
        published_at: datetime

    @event(Published)
    def __init__(
        self,
        tenant: str,
        year: int,
        digest: str,
        figures: str,
        published_by: str,
        published_at: datetime,
    ) -> None:
        self.tenant = tenant
        self.year = year
        self.digest = digest
        self.figures = figures
        self.published_by = published_by
        self.published_at = published_at

    @staticmethod
    def create_id(tenant: str, year: int, **_: object) -> UUID:
        return publication_id(tenant, year)

    @classmethod
    def publish(
        cls, report: AnnualReport, reviewed_digest: str, by: str, at: datetime
    ) -> PublishedReport:
        if report.as_of.astimezone(ROME).date() < date(report.year + 1, 1, 1):
            raise YearNotOver(report.year)
        if report.digest != reviewed_digest:
            raise ReviewedReportChanged(reviewed_digest, report.digest)
        return cls(
            tenant=report.tenant,
            year=report.year,
            digest=report.digest,
            figures=report.canonical_json(),
            published_by=by,
            published_at=at,
        )

    @property
    def report(self) -> AnnualReport:
        return AnnualReport.model_validate_json(self.figures)
