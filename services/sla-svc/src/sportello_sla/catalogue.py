"""Every tenant's policies with its calendar: which rules a case gets, and any rule by version."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sportello_shared.tenants import OpeningSpan, UnknownTenant

from .calendars import TenantCalendar
from .policies import CaseFacts, Rule, Standard, TenantPolicy

REMEMBERED_ANSWERS = 4096  # (version, event, facts) answers of rules_starting, per tenant


def no_policy_for(tenant: str) -> UnknownTenant:
    return UnknownTenant(f"no SLA policy for tenant {tenant!r}")


class UnknownStandard(LookupError):
    def __init__(self, tenant: str, standard: str, version: int | None = None) -> None:
        where = f" in policy version {version}" if version is not None else ""
        super().__init__(f"tenant {tenant!r} has no standard {standard!r}{where}")
        where_it = f" nella versione {version} della Carta" if version is not None else ""
        self.italian = f"l'ente {tenant!r} non ha lo standard {standard!r}{where_it}"

    def localized(self, language: str) -> str:
        return str(self) if language == "en" else self.italian


@dataclass(frozen=True)
class TenantNames:
    """What a report calls things: the Comune, its offices and its categories (tenant.yaml)."""

    name: str = ""
    organizations: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TenantSla:
    """One tenant's policy, calendar and office hours (by organization), and its names."""

    policy: TenantPolicy
    calendar: TenantCalendar
    office_hours: Mapping[str, tuple[OpeningSpan, ...]]
    names: TenantNames = field(default_factory=TenantNames)
    # a case received longer before its registration is a late entry: its clocks start at the
    # registration (tenant.yaml's late_entry_days, docs/door-rules.md)
    late_entry_days: int = 30
    urgent_categories: frozenset[str] = frozenset()  # tenant.yaml's categories marked urgent
    _rules_starting: dict[tuple[object, ...], tuple[Rule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def clocks_start_at(self, received_at: datetime, registered_at: datetime) -> datetime:
        """When a received case's clocks start: its receipt, unless it is a late entry."""
        if registered_at - received_at > timedelta(days=self.late_entry_days):
            return registered_at
        return received_at

    def rules_starting(self, event: str, facts: CaseFacts, at: datetime) -> list[Rule]:
        """The rules of the policy in force at `at` that start on `event` for this case.

        Asked on every case event, and the answer depends only on the version and the facts:
        worked out once per (version, event, facts), then remembered."""
        version = self.policy.in_force(self.calendar.local_date(at))
        if version is None:
            return []
        key = (
            version.version,
            event,
            facts.kind,
            facts.channel,
            facts.category,
            facts.handling_mode,
        )
        rules = self._rules_starting.get(key)
        if rules is None:
            if len(self._rules_starting) >= REMEMBERED_ANSWERS:
                self._rules_starting.clear()
            urgent = facts.category in self.urgent_categories
            facts = facts.model_copy(update={"urgent": urgent})
            rules = self._rules_starting[key] = tuple(
                Rule(standard, version, self.calendar)
                for standard in version.standards
                if standard.starts_on == event and standard.applies(facts)
            )
        return list(rules)

    def rule(self, standard_id: str, version_number: int) -> Rule:
        version = self.policy.version(version_number)
        standard = _find(version.standards, standard_id) if version else None
        if version is None or standard is None:
            raise UnknownStandard(self.policy.tenant, standard_id, version_number)
        return Rule(standard, version, self.calendar)

    def rule_for(self, standard_id: str, start: datetime, version_number: int | None) -> Rule:
        """The rule of a given policy version, or else the one in force at `start`."""
        if version_number:
            return self.rule(standard_id, version_number)
        return self.rule_in_force(standard_id, start)

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
            raise no_policy_for(tenant) from None

    def __contains__(self, tenant: object) -> bool:
        return tenant in self._tenants

    def __iter__(self) -> Iterator[str]:
        return iter(self._tenants)


def _find(standards: tuple[Standard, ...], standard_id: str) -> Standard | None:
    return next((s for s in standards if s.id == standard_id), None)
