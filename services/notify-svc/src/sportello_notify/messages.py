"""What each message says, fixed when it is requested (what was asked is what is kept).

Pure functions from notify's case file, the tenant's catalogue and policy to template values.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sportello_shared.tenants import Tenant

from .domain import CaseFile, NotifyPolicy, Template

Context = dict[str, str]


def office_name(tenant: Tenant | None, organization: str | None) -> str:
    org = tenant.organization(organization) if tenant and organization else None
    if org:
        return org.name
    return tenant.name if tenant else (organization or "")


def citizen_context(case_file: CaseFile, tenant: Tenant | None, policy: NotifyPolicy) -> Context:
    return {
        "citizen_name": case_file.citizen_name,
        "reference": case_file.reference,
        "case_id": case_file.case_id,
        "office": office_name(tenant, case_file.organization),
        "tenant_name": tenant.name if tenant else case_file.tenant,
        "follow_url": policy.follow_link(case_file.case_id, case_file.reference),
    }


def office_context(case_file: CaseFile, tenant: Tenant | None, organization: str) -> Context:
    category = tenant.category(case_file.category) if tenant else None
    return {
        "reference": case_file.reference,
        "case_id": case_file.case_id,
        "office": office_name(tenant, organization),
        "tenant_name": tenant.name if tenant else case_file.tenant,
        "category": category.name if category else case_file.category,
        "description": case_file.description,
    }


def local_time(at: datetime, tenant: Tenant | None) -> str:
    zone = ZoneInfo(tenant.timezone if tenant else "Europe/Rome")
    return at.astimezone(zone).strftime("%d/%m/%Y %H:%M")


SAMPLES: dict[str, str] = {
    "citizen_name": "Maria Rossi",
    "case_id": "0b5bd3a4-25a4-4b57-9d41-7c8e1a0e6d10",
    "follow_url": "https://sportello.example/segnalazioni/0b5bd3a4-25a4-4b57-9d41-7c8e1a0e6d10",
    "outcome": "Il guasto è stato riparato il 3 marzo.",
    "survey_url": "https://sportello.example/surveys/esempio",
    "survey_expires": "02/04/2026",
    "category": "Decoro e pulizia",
    "description": "Cassonetti traboccanti in via Roma",
    "standard": "answer_30d",
    "deadline": "01/04/2026 17:00",
    "failed_template": Template.CLOSED.value,
    "failed_channel": "email",
    "reason": "550 5.1.1 Mailbox unavailable",
}


def sample_context(tenant: Tenant) -> Context:
    """Example values for a template preview: the tenant's own names, invented case data."""
    office = next((o for o in tenant.organizations if o.accepts_cases), tenant.organizations[0])
    return SAMPLES | {
        "reference": f"{tenant.reference_prefix}-2026-000123",
        "office": office.name,
        "tenant_name": tenant.name,
    }
