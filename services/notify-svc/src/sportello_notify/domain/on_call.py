"""The on-call rota: an urgent case out of office hours wakes somebody up, and keeps trying.

`OnCallRota` is a tenant's setting (notify.yaml, `on_call`): the numbers in the order they are
called, how long each has to acknowledge, and when the offices are staffed. `OnCallAlert` is one
urgent case's alert: who was paged and when, who acknowledged it. `OnCallBoard` lists a tenant's
alerts still waiting for someone, so the escalation loop does not scan every case. Pure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import BaseModel, ConfigDict, Field
from sportello_shared.office_hours import in_office_hours
from sportello_shared.tenants import OpeningSpan

ON_CALL_NAMESPACE = UUID("c0f5d3b2-6a1e-4f0b-8d7e-3b9a2f4c1e57")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OnCallPerson(_Frozen):
    name: str = Field(min_length=1, description="how the rota names them: 'Tecnico reperibile'")
    phone: str = Field(pattern=r"^\+?[0-9 ]{6,20}$")


class OnCallRota(_Frozen):
    """Who is called, in order, for an urgent case outside `office_hours` (local time)."""

    rota: tuple[OnCallPerson, ...] = Field(min_length=1)
    escalate_after_minutes: float = Field(
        default=15, gt=0, le=240, description="without an acknowledgment, the next is called"
    )
    office_hours: tuple[OpeningSpan, ...] = Field(
        default=(), description="when the offices act on urgent cases themselves; none: never"
    )

    @property
    def escalate_after(self) -> timedelta:
        return timedelta(minutes=self.escalate_after_minutes)

    def out_of_hours(self, at: datetime, timezone: str, patron_saint: str | None = None) -> bool:
        """Outside `office_hours` in the comune's time, or on a public holiday (national, or
        the comune's patron saint): the whole day is out of office hours then."""
        return not in_office_hours(at, self.office_hours, timezone, patron_saint)


class AlreadyAcknowledged(Exception):
    """Someone else acknowledged the alert first."""


class NoAlert(Exception):
    """The case raised no on-call alert."""


def on_call_alert_id(case_id: str) -> UUID:
    return uuid5(ON_CALL_NAMESPACE, f"alert/{case_id}")


def on_call_board_id(tenant: str) -> UUID:
    return uuid5(ON_CALL_NAMESPACE, f"board/{tenant}")


class OnCallAlert(Aggregate):
    class Raised(Aggregate.Created):
        case_id: str
        tenant: str
        rota: list[str]  # the names, in order; the numbers go with each page's notification
        escalate_after_minutes: float
        raised_at: datetime

    @event(Raised)
    def __init__(
        self,
        case_id: str,
        tenant: str,
        rota: list[str],
        escalate_after_minutes: float,
        raised_at: datetime,
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.rota = rota
        self.escalate_after_minutes = escalate_after_minutes
        self.raised_at = raised_at
        self.pages: list[datetime] = []  # when each of the rota, in order, was paged
        self.acknowledged_by: str | None = None
        self.acknowledged_at: datetime | None = None
        self.exhausted_at: datetime | None = None

    @classmethod
    def raise_for(cls, case_id: str, tenant: str, rota: OnCallRota, at: datetime) -> OnCallAlert:
        return cls._create(
            cls.Raised,
            id=on_call_alert_id(case_id),
            case_id=case_id,
            tenant=tenant,
            rota=[person.name for person in rota.rota],
            escalate_after_minutes=rota.escalate_after_minutes,
            raised_at=at,
        )

    @property
    def waiting(self) -> bool:
        """Nobody acknowledged it yet, and somebody is left to call."""
        return self.acknowledged_by is None and self.exhausted_at is None

    def due(self, now: datetime) -> bool:
        """The last one paged had their time: call the next (or give up)."""
        after = timedelta(minutes=self.escalate_after_minutes)
        return self.waiting and bool(self.pages) and now - self.pages[-1] >= after

    def page_next(self, at: datetime) -> int | None:
        """The index in the rota of who is paged now; None when the rota is exhausted."""
        if not self.waiting:
            return None
        if len(self.pages) >= len(self.rota):
            self._exhausted(at=at)
            return None
        self._paged(index=len(self.pages), at=at)
        return len(self.pages) - 1

    @event("Paged")
    def _paged(self, index: int, at: datetime) -> None:
        self.pages.append(at)

    @event("Exhausted")
    def _exhausted(self, at: datetime) -> None:
        self.exhausted_at = at

    def acknowledge(self, actor: str, at: datetime) -> None:
        """The same person twice is one acknowledgment (a double tap, a retry)."""
        if self.acknowledged_by == actor:
            return
        if self.acknowledged_by is not None:
            raise AlreadyAcknowledged(f"already acknowledged by {self.acknowledged_by}")
        self._acknowledged(actor=actor, at=at)

    @event("Acknowledged")
    def _acknowledged(self, actor: str, at: datetime) -> None:
        self.acknowledged_by = actor
        self.acknowledged_at = at


class OnCallBoard(Aggregate):
    """A tenant's alerts still waiting for an acknowledgment."""

    class Created(Aggregate.Created):
        tenant: str

    @event(Created)
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.waiting: list[UUID] = []

    @classmethod
    def for_tenant(cls, tenant: str) -> OnCallBoard:
        return cls._create(cls.Created, id=on_call_board_id(tenant), tenant=tenant)

    def add(self, alert_id: UUID) -> None:
        if alert_id not in self.waiting:
            self._added(alert_id=alert_id)

    @event("AlertAdded")
    def _added(self, alert_id: UUID) -> None:
        self.waiting.append(alert_id)

    def remove(self, alert_id: UUID) -> None:
        if alert_id in self.waiting:
            self._removed(alert_id=alert_id)

    @event("AlertRemoved")
    def _removed(self, alert_id: UUID) -> None:
        self.waiting.remove(alert_id)
