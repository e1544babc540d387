"""The report's fields as typed, checked with the reason for each refusal (message keys)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sportello_shared.tenants import Tenant

LIMITS = {"place": 300, "title": 120, "details": 4000, "name": 200, "email": 254}
MINIMUM = {"title": 3, "details": 10, "name": 1}


@dataclass(frozen=True)
class ReportForm:
    privacy: str = ""
    place: str = ""
    category: str = ""
    title: str = ""
    details: str = ""
    name: str = ""
    email: str = ""

    @classmethod
    def of(cls, form: dict[str, Any]) -> ReportForm:
        values = {f.name: str(form.get(f.name, "")).strip() for f in fields(cls)}
        return cls(**values)

    def values(self) -> dict[str, str]:
        return asdict(self)

    def errors(self, tenant: Tenant) -> dict[str, str]:
        """Field -> message key; empty when the report can be sent."""
        errors: dict[str, str] = {}
        if self.privacy != "yes":
            errors["privacy"] = "error.privacy"
        if tenant.category(self.category) is None:
            errors["category"] = "error.category"
        for name, limit in LIMITS.items():
            value = getattr(self, name)
            if len(value) > limit:
                errors[name] = "error.too_long"
            elif len(value) < MINIMUM.get(name, 0):
                errors[name] = "error.required" if not value else "error.too_short"
        if "email" not in errors:
            try:
                validate_email(self.email, check_deliverability=False)
            except EmailNotValidError:
                errors["email"] = "error.email"
        return errors

    def report(self, submission_id: str, lang: str) -> dict[str, Any]:
        """The body intake-svc's /citizen/v1/<tenant>/reports takes."""
        return {
            "submission_id": submission_id,
            "category": self.category,
            "title": self.title,
            "details": self.details,
            "place": self.place or None,
            "citizen": {"name": self.name, "email": self.email, "language": lang},
        }
