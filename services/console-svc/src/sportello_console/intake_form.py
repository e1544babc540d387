"""The new-case form: what the call-taker typed → intake-svc's registration body, with errors
per field (the form is shown again with everything typed kept)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sportello_contracts.cases import Channel, HandlingMode, Kind
from sportello_shared.tenants import Tenant
from sportello_web.dates import from_rome_input

FIELDS = (
    "category", "kind", "channel", "received_at", "handling_mode", "citizen_name",
    "citizen_phone", "citizen_email", "citizen_language", "address", "lat", "lon",
    "description",
)  # fmt: skip
STAFF_CHANNELS = ("phone", "voicemail", "ivr", "post", "fax", "counter", "email", "pec")
# intake-svc's field paths → this form's field names
SERVICE_FIELDS = {
    "citizen.name": "citizen_name",
    "citizen.phone": "citizen_phone",
    "citizen.email": "citizen_email",
    "citizen": "citizen_phone",
    "location.lat": "lat",
    "location.lon": "lon",
    "location": "lat",
    "received_at": "received_at",
    "description": "description",
    "category": "category",
}


@dataclass
class CaseForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls) -> CaseForm:
        return cls({"channel": "phone", "kind": "segnalazione", "citizen_language": "it"})

    @classmethod
    def of(cls, form: dict[str, Any]) -> CaseForm:
        return cls({name: str(form.get(name, "")).strip() for name in FIELDS})

    def add_service_errors(self, errors: list[dict[str, Any]]) -> None:
        for error in errors:
            name = SERVICE_FIELDS.get(str(error.get("field", "")), "")
            if name and name not in self.errors:
                self.errors[name] = str(error.get("message", ""))

    def body(self, tenant: Tenant) -> dict[str, Any] | None:
        """intake-svc's registration body, or None with `errors` filled in."""
        v = self.values
        self._check_choices(tenant)
        if not v["citizen_name"]:
            self.errors["citizen_name"] = "form.required"
        if not (v["citizen_phone"] or v["citizen_email"]):
            self.errors["citizen_phone"] = "form.contact"
        if not v["description"]:
            self.errors["description"] = "form.required"
        received_at = self._received_at()
        location = self._location()
        if self.errors:
            return None
        citizen = {"name": v["citizen_name"], "language": v["citizen_language"] or "it"}
        citizen |= {k: v[f"citizen_{k}"] for k in ("phone", "email") if v[f"citizen_{k}"]}
        body: dict[str, Any] = {
            "tenant": tenant.id,
            "kind": v["kind"],
            "channel": v["channel"],
            "category": v["category"],
            "description": v["description"],
            "citizen": citizen,
        }
        if location:
            body["location"] = location
        if received_at:
            body["received_at"] = received_at.isoformat()
        if v["handling_mode"]:
            body["handling_mode"] = v["handling_mode"]
        return body

    def explain_body(self, tenant: Tenant) -> dict[str, Any] | None:
        """Enough for routing's explain (no personal data): None until the choices are made."""
        v = self.values
        if not tenant.category(v["category"]) or v["kind"] not in set(Kind):
            return None
        channel = v["channel"] if v["channel"] in set(Channel) else "phone"
        return {"tenant": tenant.id, "kind": v["kind"], "channel": channel,
                "category": v["category"], "description": v["description"][:4000]}  # fmt: skip

    def duplicates_body(self, tenant: Tenant) -> dict[str, Any] | None:
        """What intake compares (contacts as typed, category and address): None when empty."""
        v = self.values
        asked: dict[str, Any] = {"tenant": tenant.id}
        if v["citizen_email"]:
            asked["email"] = v["citizen_email"][:320]
        if v["citizen_phone"]:
            asked["phone"] = v["citizen_phone"][:40]
        if tenant.category(v["category"]) and v["address"]:
            asked |= {"category": v["category"], "address": v["address"][:300]}
        return asked if len(asked) > 1 else None

    def _check_choices(self, tenant: Tenant) -> None:
        v = self.values
        if not tenant.category(v["category"]):
            self.errors["category"] = "form.choose"
        if v["kind"] not in set(Kind):
            self.errors["kind"] = "form.choose"
        if v["channel"] not in STAFF_CHANNELS:
            self.errors["channel"] = "form.choose"
        if v["handling_mode"] and v["handling_mode"] not in set(HandlingMode):
            self.errors["handling_mode"] = "form.choose"
        if v["citizen_language"] not in ("it", "en"):
            self.errors["citizen_language"] = "form.choose"

    def _received_at(self) -> datetime | None:
        try:
            when = from_rome_input(self.values["received_at"])
        except ValueError:
            self.errors["received_at"] = "form.datetime"
            return None
        if when is not None and when > datetime.now(UTC):
            self.errors["received_at"] = "form.future"
        return when

    def _location(self) -> dict[str, Any] | None:
        v = self.values
        location: dict[str, Any] = {}
        if v["address"]:
            location["address"] = v["address"]
        if v["lat"] or v["lon"]:
            try:
                lat, lon = float(v["lat"].replace(",", ".")), float(v["lon"].replace(",", "."))
            except ValueError:
                self.errors["lat"] = "form.coordinates"
                return None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                self.errors["lat"] = "form.coordinates"
                return None
            location |= {"lat": lat, "lon": lon}
        return location or None
