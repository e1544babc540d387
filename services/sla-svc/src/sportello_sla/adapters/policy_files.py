"""Reads deploy/tenants/<tenant>/sla.yaml and tenant.yaml into the SLA catalogue."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sportello_shared.tenants import load_tenants

from ..calendars import TenantCalendar, parse_month_day
from ..catalogue import SlaCatalogue, TenantNames, TenantSla
from ..policies import TenantPolicy


@cache
def load_catalogue(tenants_dir: Path) -> SlaCatalogue:
    """Every tenant that has an sla.yaml; its calendar takes the patron saint from tenant.yaml."""
    tenants = load_tenants(tenants_dir)
    catalogue: dict[str, TenantSla] = {}
    for path in sorted(tenants_dir.glob("*/sla.yaml")):
        policy = TenantPolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        tenant = tenants[policy.tenant]
        calendar = TenantCalendar(
            patron_saint=parse_month_day(tenant.patron_saint),
            working_week=policy.working_week,
            zone=ZoneInfo(tenant.timezone),
        )
        hours = {org.id: org.hours for org in tenant.organizations if org.hours}
        names = TenantNames(
            name=tenant.name,
            organizations={org.id: org.name for org in tenant.organizations},
            categories={c.service_code: c.name for c in tenant.categories},
        )
        catalogue[policy.tenant] = TenantSla(
            policy,
            calendar,
            hours,
            names,
            late_entry_days=tenant.late_entry_days,
            urgent_categories=frozenset(c.service_code for c in tenant.categories if c.urgent),
        )
    if not catalogue:
        raise FileNotFoundError(f"no sla.yaml under {tenants_dir}")
    return SlaCatalogue(catalogue)
