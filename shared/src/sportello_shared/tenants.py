"""Tenant configuration (deploy/tenants/<tenant>/tenant.yaml): the city's catalogue and offices;
its privacy policy beside it (privacy.yaml, see privacy.py)."""

from __future__ import annotations

from datetime import time
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .privacy import PrivacyPolicy

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OpeningSpan(_Frozen):
    """One span of opening hours, e.g. Monday 9:00-13:15."""

    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    opens: time
    closes: time


class Organization(_Frozen):
    """Who handles cases: a Comune office or a partner company."""

    id: str = Field(pattern=SLUG)
    name: str
    kind: Literal["office", "partner"]
    email: str
    accepts_cases: bool = True
    hours: tuple[OpeningSpan, ...] = ()


class Category(_Frozen):
    """A tenant category, published as an Open311 service; `organization` is who handles it."""

    service_code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    name: str
    description: str
    group: str
    keywords: tuple[str, ...] = ()
    organization: str = Field(pattern=SLUG)
    urgent: bool = False


class Tenant(_Frozen):
    id: str = Field(pattern=SLUG)
    name: str
    reference_prefix: str = Field(pattern=r"^[A-Z]{2,4}$")
    timezone: str = "Europe/Rome"
    province: str = Field(pattern=r"^[A-Z]{2}$", description="for the holidays package")
    patron_saint: str | None = Field(default=None, pattern=r"^[0-9]{2}-[0-9]{2}$")
    triage: str = Field(
        pattern=SLUG, description="the URP / contact centre that takes what no rule routes"
    )
    workflow: Literal["triage-first", "direct"] = Field(
        default="direct",
        description="triage-first: every case goes first to the `triage` front office, which "
        "takes it in charge, forwards it to the competent office, gets its answer back and "
        "tells the citizen the outcome (Torino, Casale's and Rescaldina's URP); direct: routing "
        "hands it to the competent office at once (Pisa's partners)",
    )
    late_entry_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="a case received longer ago needs a late-entry reason; its clocks start "
        "at registration (docs/door-rules.md)",
    )
    organizations: tuple[Organization, ...]
    categories: tuple[Category, ...]
    privacy: PrivacyPolicy = Field(default_factory=PrivacyPolicy)
    reopen_window_days: int = Field(
        default=30, ge=0, le=365, description="how long after closing a citizen may ask to reopen"
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> Tenant:
        known = {org.id for org in self.organizations}
        missing = {c.organization for c in self.categories} - known
        if self.triage not in known:
            missing.add(self.triage)
        if missing:
            raise ValueError(f"unknown organizations: {sorted(missing)}")
        front_office = self.organization(self.triage)
        if self.workflow == "triage-first" and front_office and not front_office.accepts_cases:
            raise ValueError(f"workflow triage-first: the triage {self.triage!r} takes no cases")
        published = set(self.privacy.publication.categories)
        unknown = published - {c.service_code for c in self.categories}
        if unknown:
            raise ValueError(f"privacy.yaml publishes unknown categories: {sorted(unknown)}")
        return self

    def category(self, service_code: str) -> Category | None:
        return next((c for c in self.categories if c.service_code == service_code), None)

    @property
    def triage_first(self) -> bool:
        """The front office (`triage`) takes every case in charge before the office does."""
        return self.workflow == "triage-first"

    def organization(self, organization_id: str) -> Organization | None:
        return next((o for o in self.organizations if o.id == organization_id), None)


class UnknownTenant(LookupError):
    """No tenant of that name here. Every service answers it the same (`http.py`): 404 when the
    address named the tenant (`field` None), 422 naming the field when a request's field did."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TenantCatalogue:
    def __init__(self, tenants: dict[str, Tenant]) -> None:
        self._tenants = tenants

    def __getitem__(self, tenant_id: str) -> Tenant:
        return self._tenants[tenant_id]

    def get(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._tenants.values())


@cache
def load_tenants(directory: Path) -> TenantCatalogue:
    tenants = {}
    for path in sorted(directory.glob("*/tenant.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        privacy = path.with_name("privacy.yaml")
        if privacy.exists():
            document["privacy"] = yaml.safe_load(privacy.read_text(encoding="utf-8")) or {}
        tenant = Tenant.model_validate(document)
        tenants[tenant.id] = tenant
    if not tenants:
        raise FileNotFoundError(f"no tenant.yaml under {directory}")
    return TenantCatalogue(tenants)
