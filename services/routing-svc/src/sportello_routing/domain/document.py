"""What a city's ops team keeps in git: its organizations and rules, as one YAML document."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sportello_shared.tenants import Organization, Tenant

from .areas import Areas
from .rules import SLUG, Rule, RulesDocument


class RoutingDocument(BaseModel):
    """deploy/tenants/<tenant>/routing.yaml, and the export/import format of the ops API.

    `organizations` are added to (or replace by id) the directory; absent `rules` mean the
    category table of tenant.yaml, one rule per category.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: str = Field(pattern=SLUG)
    version: int | None = Field(default=None, description="on export only; ignored on import")
    organizations: tuple[Organization, ...] = ()
    default: str | None = Field(default=None, pattern=SLUG)
    areas: Areas = Field(default_factory=Areas)
    rules: tuple[Rule, ...] | None = None

    def rules_document(self, tenant: Tenant) -> RulesDocument:
        rules = self.rules if self.rules is not None else category_rules(tenant)
        return RulesDocument(default=self.default or tenant.triage, areas=self.areas, rules=rules)

    def directory(self, tenant: Tenant) -> tuple[Organization, ...]:
        """tenant.yaml's organizations, then this document's additions and replacements."""
        merged = {o.id: o for o in tenant.organizations} | {o.id: o for o in self.organizations}
        return tuple(merged.values())


def category_rules(tenant: Tenant) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            id=category.service_code,
            organization=category.organization,
            description=category.name,
            categories=(category.service_code,),
        )
        for category in tenant.categories
    )
