"""What each message says, fixed when it is requested (what was asked is what is kept).

Pure functions from notify's case file, the tenant's catalogue and policy to template values.
The way back to the Comune (phone, hours, address) and the words for the case's kind are added
when the message is rendered (`rendering_context`), so a corrected phone number reaches every
message still to go out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sportello_shared.tenants import Tenant

from .domain import CaseFile, NotifyPolicy, Template
from .wording import kind_context, opening_hours

Context = dict[str, str]
# Not a template value: the Message-ID a citizen's mail answers (the mailer's `In-Reply-To`).
IN_REPLY_TO = "in_reply_to"
# Not a template value either: the tenant's account the mail leaves from ("pec": its PEC box).
REPLY_VIA = "reply_via"


def office_name(tenant: Tenant | None, organization: str | None) -> str:
    org = tenant.organization(organization) if tenant and organization else None
    if org:
        return org.name
    return tenant.name if tenant else (organization or "")


def citizen_context(case_file: CaseFile, tenant: Tenant | None, policy: NotifyPolicy) -> Context:
    return {
        "citizen_name": case_file.citizen_name,
        "reference": case_file.reference,
        "kind": case_file.kind,
        "office": office_name(tenant, case_file.organization),
        "tenant_name": tenant.name if tenant else case_file.tenant,
        "follow_url": policy.follow_link(case_file.case_id, case_file.reference),
        # Casale's procedures (issue 18 point 6): only once the case has one
        **({"protocol_number": case_file.protocol_number} if case_file.protocol_number else {}),
    }


def office_context(case_file: CaseFile, tenant: Tenant | None, organization: str) -> Context:
    category = tenant.category(case_file.category) if tenant else None
    return {
        "reference": case_file.reference,
        "kind": case_file.kind,
        "office": office_name(tenant, organization),
        "tenant_name": tenant.name if tenant else case_file.tenant,
        "category": category.name if category else case_file.category,
        "description": case_file.description,
        "location": case_file.location or "",
        "urgent": "yes" if category and category.urgent else "",
    }


def citizen_reach(case_file: CaseFile) -> Context:
    """How to reach the citizen, for the offices that must act (urgent cases, breaches)."""
    contact = case_file.contact
    lines = [
        f"{label}: {value}"
        for label, value in (
            ("Nome", case_file.citizen_name),
            ("E-mail", contact.email),
            ("Telefono", contact.phone),
            ("Indirizzo", contact.address),
        )
        if value
    ]
    return {"citizen_contact": "\n".join(lines)}


def local_time(at: datetime, tenant: Tenant | None) -> str:
    zone = ZoneInfo(tenant.timezone if tenant else "Europe/Rome")
    return at.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def way_back(tenant: Tenant | None, policy: NotifyPolicy, language: str) -> Context:
    """How the citizen reaches the Comune, and the name the messages are sent under."""
    contact = policy.contact
    name = tenant.name if tenant else ""
    if contact is None:
        return {"sender_name": name, "contact_office": "", "contact_phone": ""} | dict.fromkeys(
            ("contact_hours", "contact_address", "contact_email", "contact_web"), ""
        )
    hours = contact.hours_en if language == "en" and contact.hours_en else contact.hours
    if hours is None:
        triage = tenant.organization(tenant.triage) if tenant else None
        hours = opening_hours(triage.hours, language) if triage else ""
    return {
        "sender_name": name,
        "contact_office": contact.office,
        "contact_phone": contact.phone,
        "contact_hours": hours,
        "contact_address": contact.address or "",
        "contact_email": contact.email or "",
        "contact_web": contact.web or "",
    }


def rendering_context(
    stored: Mapping[str, str], language: str, tenant: Tenant | None, policy: NotifyPolicy
) -> Context:
    """The stored values, with today's way back and the words for the case's kind."""
    kind = stored.get("kind", "segnalazione")
    return way_back(tenant, policy, language) | kind_context(kind, language) | dict(stored)


SAMPLES: dict[str, str] = {
    "citizen_name": "Maria Rossi",
    "kind": "segnalazione",
    "follow_url": "",
    "outcome": "Il guasto è stato riparato il 3 marzo.",
    "original": "TO-2026-000041",
    "message": "Il sopralluogo dei tecnici è fissato per lunedì 9 marzo in mattinata.",
    "survey_url": "https://sportello.example/surveys/esempio",
    "survey_expires": "02/04/2026",
    "category": "Decoro e pulizia",
    "description": "Cassonetti traboccanti in via Roma",
    "location": "via Roma 12",
    "urgent": "",
    "citizen_contact": "Nome: Maria Rossi\nE-mail: maria.rossi@example.org",
    "standard": "Risposta al cittadino entro 30 giorni",
    "deadline": "01/04/2026 17:00",
    "request": "Copia del verbale di sopralluogo e una fotografia del guasto.",
    "reply_by": "16/03/2026",
    "failed_message": "avviso di presa in carico",
    "failed_channel": "posta elettronica",
    "failure_cause": "il recapito del cittadino è stato rifiutato (indirizzo o numero inesistente)",
    "failed_template": Template.CLOSED.value,
    "escalate_after": "15",
    "next_on_call": "Responsabile di turno",
    # Casale's procedures (issue 18 point 6)
    "protocol_number": "2026/000123",
    "scheduled_for": "15/12/2026 09:30",
    "inspector": "Polizia Locale, pattuglia 3",
    "attestation_number": "IA-2026-0042",
    "issued_on": "18/12/2026",
}


def sample_context(tenant: Tenant) -> Context:
    """Example values for a template preview: the tenant's own names, invented case data."""
    office = next((o for o in tenant.organizations if o.accepts_cases), tenant.organizations[0])
    return SAMPLES | {
        "reference": f"{tenant.reference_prefix}-2026-000123",
        "office": office.name,
        "addressee": office.name,
        "tenant_name": tenant.name,
    }
