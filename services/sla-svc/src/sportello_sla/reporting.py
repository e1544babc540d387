"""The yearly report's use cases: build it from the board, publish it, read the published one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from .annual import Sources, annual_report
from .annual_model import AnnualReport
from .board import ClockBoard
from .catalogue import SlaCatalogue
from .publication import AlreadyPublished, NotPublished, PublishedReport, publication_id


def sources_of(board: ClockBoard) -> Sources:
    return Sources(board.rows(), board.cases(), board.ratings(), board.anomalies())


def build_annual(
    catalogue: SlaCatalogue, board: ClockBoard, tenant: str, year: int, as_of: datetime
) -> AnnualReport:
    """The report as of `as_of` (kept in UTC: the digest is of the figures' JSON)."""
    return annual_report(catalogue[tenant], year, sources_of(board), as_of.astimezone(UTC))


class _App(Protocol):
    """What publishing needs of the application (SlaApplication)."""

    @property
    def catalogue(self) -> SlaCatalogue: ...

    @property
    def board(self) -> ClockBoard: ...

    def find(self, aggregate_id: UUID) -> object | None: ...

    def save(self, *aggregates: PublishedReport) -> object: ...


class ReportPublishing:
    """Publish and read published reports on the application's store (a writer calls these)."""

    def __init__(self, app: _App) -> None:
        self._app = app

    def publish(
        self, tenant: str, year: int, as_of: datetime, reviewed_digest: str, by: str, at: datetime
    ) -> PublishedReport:
        if self._app.find(publication_id(tenant, year)) is not None:
            raise AlreadyPublished(tenant, year)
        self._app.board.catch_up()
        report = build_annual(self._app.catalogue, self._app.board, tenant, year, as_of)
        published = PublishedReport.publish(report, reviewed_digest, by, at)
        try:
            self._app.save(published)
        except IntegrityError:  # another replica published the same year first
            raise AlreadyPublished(tenant, year) from None
        return published

    def published(self, tenant: str, year: int) -> PublishedReport:
        found = self._app.find(publication_id(tenant, year))
        if not isinstance(found, PublishedReport):
            raise NotPublished(tenant, year)
        return found
