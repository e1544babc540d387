"""A tenant's directory: the Comune offices and partner companies that handle cases."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from sportello_shared.tenants import Organization

DIRECTORY_NAMESPACE = UUID("5b1f0c8e-3f7d-4a55-9a0e-2d6c1e7b9a41")


class UnknownOrganization(LookupError):
    pass


class OrganizationInUse(ValueError):
    """An organization the rules still point at cannot leave the directory."""


class Directory(Aggregate):
    """Organizations by id; each change is an event, seeding from files included."""

    @event("Created")
    def __init__(
        self, tenant: str, organizations: list[dict[str, Any]], seed_digest: str | None
    ) -> None:
        self.tenant = tenant
        self.records: dict[str, dict[str, Any]] = {}
        self._organizations: dict[str, Organization] = {}
        self._record_all(organizations)
        self.seed_digests: list[str] = [seed_digest] if seed_digest else []

    @staticmethod
    def create_id(tenant: str) -> UUID:
        return uuid5(DIRECTORY_NAMESPACE, f"directory/{tenant}")

    @classmethod
    def seeded(cls, tenant: str, organizations: Iterable[Organization], digest: str) -> Directory:
        return cls(tenant, [_record(o) for o in organizations], digest)

    @property
    def organizations(self) -> dict[str, Organization]:
        return dict(self._organizations)

    def organization(self, organization_id: str) -> Organization:
        organization = self._organizations.get(organization_id)
        if organization is None:
            raise UnknownOrganization(f"{organization_id!r} is not in {self.tenant}'s directory")
        return organization

    def put(
        self, organizations: Iterable[Organization], actor: str, seed_digest: str | None = None
    ) -> list[str]:
        """Adds or replaces organizations; returns the ids that changed."""
        changed = [_record(o) for o in organizations if self.records.get(o.id) != _record(o)]
        if changed or (seed_digest and seed_digest not in self.seed_digests):
            self._put(changed, actor, seed_digest)
        return [r["id"] for r in changed]

    @event("OrganizationsPut")
    def _put(
        self, organizations: list[dict[str, Any]], actor: str, seed_digest: str | None
    ) -> None:
        self._record_all(organizations)
        if seed_digest:
            self.seed_digests.append(seed_digest)

    def remove(self, organization_id: str, actor: str) -> None:
        self.organization(organization_id)
        self._remove(organization_id, actor)

    @event("OrganizationRemoved")
    def _remove(self, organization_id: str, actor: str) -> None:
        del self.records[organization_id]
        del self._organizations[organization_id]

    def _record_all(self, records: list[dict[str, Any]]) -> None:
        # Parsed once per event: every decision reads the directory.
        for record in records:
            self.records[record["id"]] = record
            self._organizations[record["id"]] = Organization.model_validate(record)


def directory_digest(organizations: Iterable[Organization]) -> str:
    records = sorted((_record(o) for o in organizations), key=lambda r: str(r["id"]))
    return hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()


def _record(organization: Organization) -> dict[str, Any]:
    return organization.model_dump(mode="json")
