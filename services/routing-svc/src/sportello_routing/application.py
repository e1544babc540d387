"""routing-svc use cases: the directory, versioned rules, and a decision for every case.

The reads and the plumbing are in `reads.py`, the reactions to intake's events in `reactions.py`;
here the seeding and the commands (directory, rules, manual reassignment).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError
from sportello_shared.tenants import Organization, Tenant
from sportello_shared.worded import Worded

from .domain import (
    Assignment,
    Decision,
    Directory,
    InvalidRules,
    OrganizationInUse,
    Report,
    RoutingDocument,
    RulesDocument,
    RuleSet,
    directory_digest,
    validate,
)
from .reactions import DECLINED_REASON, RoutingReactions
from .reads import (
    AssignmentNotFound,
    Clock,
    ConcurrentChange,
    RoutingReads,
    VersionNotFound,
)

__all__ = [
    "DECLINED_REASON",
    "AssignmentNotFound",
    "Clock",
    "ConcurrentChange",
    "OrganizationUnavailable",
    "Publication",
    "RoutingApplication",
    "RoutingReads",
    "VersionNotFound",
]

SEED_ACTOR = "deploy/tenants"


class OrganizationUnavailable(Worded):
    """A manual reassignment to an organization that is unknown or takes no cases."""


@dataclass(frozen=True)
class Publication:
    version: int
    published: bool
    report: Report


class RoutingApplication(RoutingReactions):
    name = "routing"  # eventsourcing names the stores after it: never the class's name

    # --- seeding ------------------------------------------------------------------------------

    def seed(self, documents: Iterable[RoutingDocument]) -> None:
        """Idempotent: a document already seeded (or already a version) changes nothing.

        Replicas seeding at once write the same deterministic ids; the loser re-reads and finds
        the winner's versions.
        """
        for document in documents:
            for attempt in range(3):
                try:
                    self._seed(document)
                    break
                except IntegrityError:
                    if attempt == 2:
                        raise

    def _seed(self, document: RoutingDocument) -> None:
        tenant = self.tenant(document.tenant)
        organizations = document.directory(tenant)
        seed_digest = directory_digest(organizations)
        directory = self._find(Directory, Directory.create_id(tenant.id))
        if directory is None:
            directory = Directory.seeded(tenant.id, organizations, seed_digest)
        elif seed_digest not in directory.seed_digests:
            directory.put(organizations, SEED_ACTOR, seed_digest)
        rules = document.rules_document(tenant)
        self._check(tenant, rules, directory)
        ruleset = self._find(RuleSet, RuleSet.create_id(tenant.id))
        if ruleset is None:
            ruleset = RuleSet.first(tenant.id, rules, SEED_ACTOR, "seed")
        elif not ruleset.has_published(rules):
            ruleset.publish(rules, SEED_ACTOR, "seed")
        self.save(directory, ruleset)

    # --- directory and rules ------------------------------------------------------------------

    def put_organization(self, tenant_id: str, organization: Organization, actor: str) -> None:
        directory = self._to_change(Directory, tenant_id)
        if directory.put([organization], actor):
            self._save(directory)

    def remove_organization(self, tenant_id: str, organization_id: str, actor: str) -> None:
        directory = self._to_change(Directory, tenant_id)
        directory.organization(organization_id)
        rules = self.ruleset(tenant_id).rules
        users = [r.id for r in rules.rules if r.organization == organization_id]
        if users or rules.default == organization_id:
            role = f"rules {users}" if users else "the triage default"
            raise OrganizationInUse(f"{organization_id} is still used by {role}")
        directory.remove(organization_id, actor)
        self._save(directory)

    def check_rules(self, tenant_id: str, rules: RulesDocument) -> Report:
        tenant = self.tenant(tenant_id)
        return _report(tenant, rules, self.directory(tenant_id))

    def publish_rules(
        self, tenant_id: str, rules: RulesDocument, actor: str, based_on: int | None = None
    ) -> Publication:
        """A whole new version, if valid; the same document again is not a new version."""
        tenant = self.tenant(tenant_id)
        report = self._check(tenant, rules, self.directory(tenant_id))
        ruleset = self._to_change(RuleSet, tenant_id)
        published = ruleset.publish(rules, actor, "api", based_on)
        if published:
            self._save(ruleset)
        return Publication(ruleset.version, published, report)

    def import_document(self, document: RoutingDocument, actor: str) -> Publication:
        """Organizations are added or replaced (never removed); rules, if present, published."""
        tenant = self.tenant(document.tenant)
        directory = self._to_change(Directory, tenant.id)
        directory.put(document.organizations, actor)
        ruleset = self._to_change(RuleSet, tenant.id)
        if document.rules is None:
            self._save(directory)
            return Publication(ruleset.version, False, _report(tenant, ruleset.rules, directory))
        rules = document.rules_document(tenant)
        report = self._check(tenant, rules, directory)
        published = ruleset.publish(rules, actor, "import")
        self._save(directory, ruleset)
        return Publication(ruleset.version, published, report)

    # --- manual reassignment ------------------------------------------------------------------

    def reassign(self, case_id: str, organization_id: str, actor: str, reason: str) -> Assignment:
        assignment = self.assignment_for(case_id)
        organization = self.directory(assignment.tenant).organizations.get(organization_id)
        if organization is None or not organization.accepts_cases:
            raise OrganizationUnavailable(
                f"{organization_id!r} is not an organization of {assignment.tenant} taking cases",
                it=f"{organization_id!r} non è un ufficio di {assignment.tenant}"
                " che riceve pratiche",
            )
        version = self.ruleset(assignment.tenant).version
        reasons = (f"reassigned by {actor}",)  # the operator's words go apart: `note`
        decision = Decision(organization.id, organization.name, "manual", version, reasons)
        if assignment.reassign(decision, self.clock(), actor, reason):
            self._save(assignment)
        return assignment

    def _check(self, tenant: Tenant, rules: RulesDocument, directory: Directory) -> Report:
        report = _report(tenant, rules, directory)
        if not report.ok:
            raise InvalidRules(report)
        return report


def _report(tenant: Tenant, rules: RulesDocument, directory: Directory) -> Report:
    return validate(rules, directory.organizations, {c.service_code for c in tenant.categories})
