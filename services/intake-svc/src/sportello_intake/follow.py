"""How a citizen follows their case: an unguessable token, and the case as the citizen sees it.

The token is drawn at registration and kept on the case; a FollowLink, whose id is derived from
the token (uuid5 is one-way), finds the case from it, so the token itself is needed to look.
The citizen's view shows what was done and by which office, never who in it or internal notes.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event
from sportello_shared.entropy import token_urlsafe
from sportello_shared.tenants import Tenant

from .domain import Case, Status

FOLLOW_NAMESPACE = UUID("c1f0d4a2-9b3e-4f6a-8e21-5d7c3b9a0f44")
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"

# Timeline entries a citizen reads, and the one detail of each they may read.
CITIZEN_STEPS: dict[str, str | None] = {
    "received": None,
    "assigned": "organization",
    "routing_failed": None,
    "taken_in_charge": None,
    "waiting_for_citizen": "request",
    "resumed": None,
    "resolved": "outcome",
    "closed": "outcome",
    "reopened": "reason",
    "reopen_requested": "reason",
    "reopen_declined": "reason",
    "rejected": "reason",
    "merged": "duplicate_of",  # the original's reference: the citizen follows it there
    "duplicate_merged": None,  # someone else reported the same (not who)
    "citizen_updated": "message",
    # Casale's procedures (issue 18 point 6)
    "protocolled": "protocol_number",
    "inspection_scheduled": "scheduled_for",  # shown in the tenant's time
    "inspection_reported": None,  # the verbale stays with the office
    "attestation_issued": "attestation_number",
    # never "noted": the staff's notes are not the citizen's to read
}


def new_follow_token() -> str:
    return token_urlsafe(24)  # 192 bits: 32 characters


def follow_link_id(token: str) -> UUID:
    return uuid5(FOLLOW_NAMESPACE, token)


class FollowLink(Aggregate):
    """Token → case; created with the case, in the same transaction."""

    class Issued(Aggregate.Created):
        case_id: str
        tenant: str

    @event(Issued)
    def __init__(self, case_id: str, tenant: str) -> None:
        self.case_id = case_id
        self.tenant = tenant

    @classmethod
    def issue(cls, token: str, case_id: UUID, tenant: str) -> FollowLink:
        return cls._create(
            cls.Issued, id=follow_link_id(token), case_id=str(case_id), tenant=tenant
        )


@dataclass(frozen=True)
class Step:
    """One step of the case's history: what (a status word), when, and its one public detail."""

    step: str
    at: datetime
    detail: str | None = None


@dataclass(frozen=True)
class CitizenView:
    reference: str
    tenant: str
    category: str
    category_name: str
    status: str
    office: str | None
    expected_at: datetime | None
    received_at: datetime
    closed_at: datetime | None
    reopen_until: datetime | None  # the citizen may ask to reopen until then
    reopen_requested: bool
    history: list[Step]


def citizen_view(case: Case, tenant: Tenant) -> CitizenView:
    category = tenant.category(case.category)
    office = tenant.organization(case.organization) if case.organization else None
    entries = _citizen_entries(case, tenant)
    history = [step for entry in entries if (step := _step(entry, tenant)) is not None]
    window = timedelta(days=tenant.reopen_window_days)
    closed_at = case.closed_at if case.status is Status.CLOSED else None
    return CitizenView(
        reference=case.reference,
        tenant=case.tenant,
        category=case.category,
        category_name=category.name if category else case.category,
        status=case.status.value,
        office=office.name if office else None,
        expected_at=case.expected_at,
        received_at=case.received_at,
        closed_at=closed_at,
        reopen_until=closed_at + window if closed_at else None,
        reopen_requested=case.reopen_requested is not None,
        history=history,
    )


def _citizen_entries(case: Case, tenant: Tenant) -> list[dict[str, Any]]:
    """The timeline without what only moves the case inside the Comune: in a triage-first
    tenant, the office's answer goes back to the front office by a new assignment, while for
    the citizen the case stays with the front office (which then tells them the outcome). A
    reopened case starts over: where routing sends it then is the citizen's to read."""
    if not tenant.triage_first:
        return case.timeline
    entries: list[dict[str, Any]] = []
    forwarded = False
    for entry in case.timeline:
        if entry["event"] == "reopened":
            forwarded = False
        forwarded = forwarded or entry["event"] == "forwarded"
        back = entry["event"] == "assigned" and entry.get("organization") == tenant.triage
        if not (forwarded and back):
            entries.append(entry)
    return entries


def _step(entry: dict[str, Any], tenant: Tenant) -> Step | None:
    what = entry["event"]
    if what not in CITIZEN_STEPS:
        return None
    detail_field = CITIZEN_STEPS[what]
    detail = entry.get(detail_field) if detail_field else None
    if what == "assigned" and detail:
        org = tenant.organization(detail)
        detail = org.name if org else None
    if what == "inspection_scheduled" and detail:
        when = datetime.fromisoformat(detail).astimezone(ZoneInfo(tenant.timezone))
        detail = when.strftime("%d/%m/%Y %H:%M")
    return Step(what, datetime.fromisoformat(entry["occurred_at"]), detail)


def same_email(case: Case, email: str) -> bool:
    """The e-mail given with the case, compared without revealing how much matched."""
    given = str(case.citizen.get("email") or "").strip().lower()
    asked = email.strip().lower()
    return bool(given) and hmac.compare_digest(given.encode(), asked.encode())
