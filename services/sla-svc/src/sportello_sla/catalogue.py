"""Every tenant's policies with its calendar: which rules a case gets, and any rule by version."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sportello_shared.tenants import OpeningSpan

from .calendars import TenantCalendar
from .policies import CaseFacts, Rule, Standard, TenantPolicy


class UnknownTenant(LookupError):
    def __init__(self, tenant: str) -> None:
        super().__init__(f"no SLA policy for tenant {tenant!r}")


class UnknownStandard(LookupError):
    def __init__(self, tenant: str, standard: str, version: int | None = None) -> None:
        where = f" in policy version {version}" if version is not None else ""
        super().__init__(f"tenant {tenant!r} has no standard {standard!r}{where}")


@dataclass(frozen=True)
class TenantSla:
    """One tenant's policy, calendar and office hours (by organization)."""

    policy: TenantPolicy
    calendar: TenantCalendar
    office_hours: Mapping[str, tuple[OpeningSpan, ...]]

    def rules_starting(self, event: str, facts: CaseFacts, at: datetime) -> list[Rule]:
        """The rules of the policy in force at `at` that start on `event` for this case."""
        version = self.policy.in_force(self.calendar.local_date(at))
        if version is None:
            return []
        return [
            Rule(standard, version, self.calendar)
            for standard in version.standards
            if standard.starts_on == event and standard.applies(facts)
        ]

    def rule(self, standard_id: str, version_number: int) -> Rule:
        version = self.policy.version(version_number)
        standard = _find(version.standards, standard_id) if version else None
        if version is None or standard is None:
            raise UnknownStandard(self.policy.tenant, standard_id, version_number)
        return Rule(standard, version, self.calendar)

    def rule_in_force(self, standard_id: str, at: datetime) -> Rule:
        version = self.policy.in_force(self.calendar.local_date(at))
        standard = _find(version.standards, standard_id) if version else None
        if version is None or standard is None:
            raise UnknownStandard(self.policy.tenant, standard_id)
        return Rule(standard, version, self.calendar)


class SlaCatalogue:
    def __init__(self, tenants: Mapping[str, TenantSla]) -> None:
        self._tenants = dict(tenants)

    def __getitem__(self, tenant: str) -> TenantSla:
        try:
            return self._tenants[tenant]
        except KeyError:
            raise UnknownTenant(tenant) from None

    def __contains__(self, tenant: object) -> bool:
        return tenant in self._tenants

    def __iter__(self) -> Iterator[str]:
        return iter(self._tenants)


def _find(standards: tuple[Standard, ...], standard_id: str) -> Standard | None:
    return next((s for s in standards if s.id == standard_id), None)
