"""What an Open311 reader is shown of a case: the tenant's publication policy applied.

Pure, like mapping.py: a `Case` and the reader's `PublicationView` (the public, or a client's
granted key) in, the GeoReport v2 service request out. Nothing personal unless granted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sportello_shared.privacy import (
    LocationDetail,
    PublicationView,
    coarsen_address,
    snap_to_grid,
)
from sportello_shared.tenants import Tenant

from ..domain import Case

# What the citizen reads as `status_notes`, by the last step on the case's timeline.
NOTES = {
    "received": "Ricevuta",
    "assigned": "Assegnata all'ufficio competente",
    "routing_failed": "In smistamento presso l'ufficio di primo contatto",
    "taken_in_charge": "Presa in carico",
    "citizen_contacted": "Il cittadino è stato ricontattato",
    "waiting_for_citizen": "In attesa di informazioni dal cittadino",
    "resumed": "Ripresa in carico",
    "resolved": "Risolta, in attesa di chiusura",
    "closed": "Chiusa",
    "reopened": "Riaperta",
    "reassignment_requested": "In riassegnazione a un altro ufficio",
    "rejected": "Non accolta",
    "forwarded": "Inoltrata all'ufficio competente",
    "office_answered": "Risposta dell'ufficio competente ricevuta, in attesa di comunicazione",
}
# Only these details are written for the citizen; contact notes and internal reasons are not.
PUBLIC_DETAIL = {"closed": "outcome", "rejected": "reason"}


def shown(cases: Sequence[Case], tenant: Tenant, view: PublicationView) -> list[dict[str, Any]]:
    """The cases `view`'s reader may see, each as it may see it: a platform sees what it
    submitted itself as it submitted it, anything else as the policy and its key allow."""
    own = PublicationView.own_submission()
    return [
        service_request(c, tenant, own if view.submitted(submitted_by(c)) else view)
        for c in cases
        if view.shows(c.category) or view.submitted(submitted_by(c))
    ]


def submitted_by(case: Case) -> str | None:
    """Who registered the case (`open311:<client>` for an Open311 platform)."""
    return str(case.timeline[0]["actor"]) if case.timeline else None


def service_request(case: Case, tenant: Tenant, view: PublicationView) -> dict[str, Any]:
    """The case as `view`'s reader may see it: category, status, dates, office, a location as
    precise as granted; the description (and a photo) only where the policy allows it."""
    category = tenant.category(case.category)
    described = view.shows_description(case.category, case.channel)
    address, lat, lon = _location(case.location or {}, view.location)
    return {
        "service_request_id": case.reference,
        "status": "open" if case.is_open else "closed",
        "status_notes": status_notes(case, with_detail=view.notes),
        "service_name": category.name if category else case.category,
        "service_code": case.category,
        "description": case.description if described else None,
        "agency_responsible": case.organization_name,
        "service_notice": None,
        "requested_datetime": w3c(case.received_at, tenant),
        "updated_datetime": w3c(case.updated_at, tenant),
        "expected_datetime": w3c(case.expected_at, tenant),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": case.attachments[0]["uri"] if described and case.attachments else None,
    }


def _location(
    location: Mapping[str, Any], detail: LocationDetail
) -> tuple[str | None, float | None, float | None]:
    address, lat, lon = location.get("address"), location.get("lat"), location.get("lon")
    if detail is LocationDetail.EXACT:
        return address, lat, lon
    if detail is LocationDetail.NONE:
        return None, None, None
    street = coarsen_address(address)
    if detail is LocationDetail.GRID_100M and lat is not None and lon is not None:
        return (street, *snap_to_grid(lat, lon))
    return street, None, None


def status_notes(case: Case, with_detail: bool = True) -> str:
    last = case.timeline[-1]
    note = NOTES.get(last["event"], last["event"])
    detail = last.get(PUBLIC_DETAIL.get(last["event"], "")) if with_detail else None
    return f"{note}: {detail}" if detail else note


def w3c(moment: datetime | None, tenant: Tenant) -> str | None:
    """The spec's date-time: ISO 8601 with an offset, here the city's own."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(tenant.timezone)).isoformat(timespec="seconds")
