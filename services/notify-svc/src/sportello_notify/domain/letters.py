"""The tray of letters an office has to print and post: citizens reachable only by post.

One tray per tenant, so the office can list what is waiting without scanning every case.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

LETTER_TRAY_NAMESPACE = UUID("5b3a6a0e-91c4-4a7e-9d0f-2f4f7f6d8a21")


def letter_tray_id(tenant: str) -> UUID:
    return uuid5(LETTER_TRAY_NAMESPACE, tenant)


class LetterTray(Aggregate):
    class Created(Aggregate.Created):
        tenant: str

    @event(Created)
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.pending: list[UUID] = []

    @classmethod
    def for_tenant(cls, tenant: str) -> LetterTray:
        return cls._create(cls.Created, id=letter_tray_id(tenant), tenant=tenant)

    def add(self, notification_id: UUID) -> None:
        if notification_id not in self.pending:
            self._added(notification_id=notification_id)

    @event("LetterAdded")
    def _added(self, notification_id: UUID) -> None:
        self.pending.append(notification_id)

    def remove(self, notification_id: UUID) -> None:
        if notification_id in self.pending:
            self._removed(notification_id=notification_id)

    @event("LetterRemoved")
    def _removed(self, notification_id: UUID) -> None:
        self.pending.remove(notification_id)
