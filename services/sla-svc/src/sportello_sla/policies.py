"""A tenant's SLA policy: the standards of its Carta dei servizi, versioned.

Each version has a `valid_from` date; a clock runs under the version in force on the day it
started and keeps it for life, so changing the policy never rewrites a running promise, and a
replay of the log picks the same version again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .calendars import MONDAY_TO_FRIDAY, TenantCalendar
from .terms import Limit, Suspension

NOTIFICATION_PREFIX = "notification:"
"""A stop written `notification:<template>`: that message was delivered to the citizen."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseFacts(_Frozen):
    """What a standard's applicability looks at, from the case's `case.received`."""

    kind: str
    channel: str
    category: str
    handling_mode: str | None = None
    urgent: bool = False  # its category is `urgent` in tenant.yaml's catalogue


class Condition(_Frozen):
    """All the given fields must match; an empty condition matches every case. `urgent: true`
    is every category the tenant's catalogue marks urgent (tenant.yaml), never a list to keep
    in step with it."""

    kind: frozenset[str] | None = None
    channel: frozenset[str] | None = None
    category: frozenset[str] | None = None
    handling_mode: frozenset[str] | None = None
    urgent: bool | None = None

    def matches(self, facts: CaseFacts) -> bool:
        if self.urgent is not None and facts.urgent is not self.urgent:
            return False
        wanted = {
            "kind": self.kind,
            "channel": self.channel,
            "category": self.category,
            "handling_mode": self.handling_mode,
        }
        return all(
            values is None or getattr(facts, field) in values for field, values in wanted.items()
        )


class PausePolicy(_Frozen):
    """Which case event suspends the term and which resumes it, how often and for how long."""

    suspended_by: str = "waiting_for_citizen"
    resumed_by: str = "resumed"
    max_times: int = Field(default=1, ge=1)
    max_days: int = Field(default=30, ge=1)


class Standard(_Frozen):
    """One promise of the Carta: when it starts and stops, and its limit."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,63}$")
    name: str
    applies_to: tuple[Condition, ...] = (Condition(),)
    starts_on: str = "received"
    stops_on: frozenset[str]
    restarts_on: frozenset[str] = frozenset()
    pause: PausePolicy | None = None
    limit: Limit
    warning_share: float | None = Field(default=None, gt=0, lt=1)

    def applies(self, facts: CaseFacts) -> bool:
        return any(condition.matches(facts) for condition in self.applies_to)

    def stops_on_notification(self, template: str) -> bool:
        return f"{NOTIFICATION_PREFIX}{template}" in self.stops_on


class PolicyVersion(_Frozen):
    version: int = Field(ge=1)
    valid_from: date
    warning_share: float = Field(default=0.8, gt=0, lt=1)
    standards: tuple[Standard, ...]


class TenantPolicy(_Frozen):
    """deploy/tenants/<tenant>/sla.yaml."""

    tenant: str
    carta: str | None = (
        None  # the Carta dei servizi the standards come from, as the report names it
    )
    working_week: frozenset[int] = MONDAY_TO_FRIDAY
    versions: tuple[PolicyVersion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _versions_are_ordered(self) -> TenantPolicy:
        numbers = [v.version for v in self.versions]
        starts = [v.valid_from for v in self.versions]
        if numbers != sorted(set(numbers)) or starts != sorted(starts):
            raise ValueError("versions must be listed once each, by number and valid_from")
        return self

    def in_force(self, day: date) -> PolicyVersion | None:
        current = [v for v in self.versions if v.valid_from <= day]
        return current[-1] if current else None

    def version(self, number: int) -> PolicyVersion | None:
        return next((v for v in self.versions if v.version == number), None)

    def standard_ids(self) -> list[str]:
        """Every standard any version ever had: the clocks a case of this tenant may have."""
        ids = (s.id for v in self.versions for s in v.standards)
        return list(dict.fromkeys(ids))


class Rule:
    """A standard as a clock runs it: its policy version's limit, share and the city's calendar."""

    def __init__(self, standard: Standard, version: PolicyVersion, calendar: TenantCalendar):
        self.standard = standard
        self.policy_version = version.version
        self.calendar = calendar
        self.warning_share = standard.warning_share or version.warning_share

    @property
    def id(self) -> str:
        return self.standard.id

    def deadline(self, start: datetime, suspensions: Sequence[Suspension] = ()) -> datetime:
        return self.standard.limit.deadline(start, self.calendar, suspensions)

    def warning(
        self, start: datetime, deadline: datetime, suspensions: Sequence[Suspension] = ()
    ) -> datetime:
        limit = self.standard.limit
        return limit.warning(start, deadline, self.warning_share, self.calendar, suspensions)
