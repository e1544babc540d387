"""routing-svc use cases: the directory, versioned rules, and a decision for every case."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from sportello_shared.application import Incoming, Rejected, RetryLater, ServiceApplication
from sportello_shared.contracts import EventPayload
from sportello_shared.contracts.cases import (
    CasePersonalDataErased,
    CaseReassignmentRequested,
    CaseReceived,
    CaseReopened,
)
from sportello_shared.personal_data.store import PersonalDataStore
from sportello_shared.tenants import Organization, Tenant, TenantCatalogue

from .domain import (
    Assignment,
    CaseFacts,
    Decision,
    Directory,
    Explanation,
    InvalidRules,
    OrganizationInUse,
    Report,
    RoutingDocument,
    RulesDocument,
    RuleSet,
    back_to_last,
    decide,
    directory_digest,
    validate,
)

Clock = Callable[[], datetime]
A = TypeVar("A", bound=Aggregate)
D = TypeVar("D", Directory, RuleSet)
SEED_ACTOR = "deploy/tenants"


class AssignmentNotFound(LookupError):
    pass


class UnknownTenant(LookupError):
    pass


class VersionNotFound(LookupError):
    pass


class OrganizationUnavailable(ValueError):
    """A manual reassignment to an organization that is unknown or takes no cases."""


class ConcurrentChange(RuntimeError):
    """Another replica changed the same aggregate first: the caller may retry."""


@dataclass(frozen=True)
class Publication:
    version: int
    published: bool
    report: Report


class RoutingApplication(PersonalDataStore, ServiceApplication):
    name = "routing"

    def __init__(
        self,
        tenants: TenantCatalogue,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env)
        self.tenants = tenants
        self.clock = clock or (lambda: datetime.now(UTC))
        self._latest: dict[UUID, Aggregate] = {}

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

    # --- queries ------------------------------------------------------------------------------

    def tenant(self, tenant_id: str) -> Tenant:
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise UnknownTenant(f"unknown tenant {tenant_id!r}")
        return tenant

    def directory(self, tenant_id: str) -> Directory:
        directory = self._current(Directory, Directory.create_id(self.tenant(tenant_id).id))
        if directory is None:
            raise UnknownTenant(f"no directory for tenant {tenant_id!r}")
        return directory

    def ruleset(self, tenant_id: str, version: int | None = None) -> RuleSet:
        aggregate_id = RuleSet.create_id(self.tenant(tenant_id).id)
        if version is None:
            current = self._current(RuleSet, aggregate_id)
            if current is None:
                raise UnknownTenant(f"no rules for tenant {tenant_id!r}")
            return current
        try:
            ruleset: RuleSet = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise UnknownTenant(f"no rules for tenant {tenant_id!r}") from None
        if ruleset.version != version:
            raise VersionNotFound(f"{tenant_id} has no rules version {version}")
        return ruleset

    def assignment_for(self, case_id: str) -> Assignment:
        assignment = self._find(Assignment, Assignment.create_id(case_id))
        if assignment is None:
            raise AssignmentNotFound(f"no routing decision for case {case_id}")
        return assignment

    def explain(
        self, facts: CaseFacts, excluded: Collection[str] = (), version: int | None = None
    ) -> Explanation:
        """Who would get this case and why, under the current (or a given) version."""
        ruleset = self.ruleset(facts.tenant, version)
        organizations = self.directory(facts.tenant).organizations
        return decide(facts, ruleset.rules, ruleset.version, organizations, excluded)

    def export(self, tenant_id: str) -> RoutingDocument:
        ruleset = self.ruleset(tenant_id)
        rules = ruleset.rules
        return RoutingDocument(
            tenant=tenant_id,
            version=ruleset.version,
            organizations=tuple(self.directory(tenant_id).organizations.values()),
            default=rules.default,
            areas=rules.areas,
            rules=rules.rules,
        )

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
                f"{organization_id!r} is not an organization of {assignment.tenant} taking cases"
            )
        version = self.ruleset(assignment.tenant).version
        reasons = (f"reassigned by {actor}: {reason}",)
        decision = Decision(organization.id, organization.name, "manual", version, reasons)
        assignment.record(decision, self.clock(), cause="manual", actor=actor)
        self._save(assignment)
        return assignment

    # --- reactions to intake-svc --------------------------------------------------------------

    @singledispatchmethod
    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Other public events are not routing's business."""

    @react.register
    def _(
        self, payload: CaseReceived, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        if self.tenants.get(incoming.envelope.tenant) is None:
            raise Rejected(f"unknown tenant {incoming.envelope.tenant!r}")
        if self._find(Assignment, Assignment.create_id(payload.case_id)) is not None:
            return  # already decided: a replayed received event changes nothing
        location = payload.location
        facts = CaseFacts(
            tenant=incoming.envelope.tenant,
            kind=payload.kind.value,
            channel=payload.channel.value,
            category=payload.category,
            description=payload.description,
            lat=location.lat if location else None,
            lon=location.lon if location else None,
        )
        assignment = Assignment.open(payload.case_id, payload.reference, facts)
        decision = self.explain(facts).decision
        assignment.record(
            decision, self.clock(), cause="received", traceparent=incoming.envelope.traceparent
        )
        processing_event.collect_events(assignment)

    @react.register
    def _(
        self,
        payload: CaseReassignmentRequested,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        assignment = self._decided(payload.case_id)
        now = self.clock()
        assignment.decline(payload.organization, payload.reason, now)
        decision = self.explain(assignment.facts, assignment.declined).decision
        assignment.record(
            decision, now, cause="reassignment_requested", traceparent=incoming.envelope.traceparent
        )
        processing_event.collect_events(assignment)

    @react.register
    def _(
        self, payload: CaseReopened, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        assignment = self._decided(payload.case_id)
        decision = self._back_to_last(assignment)
        assignment.record(
            decision, self.clock(), cause="reopened", traceparent=incoming.envelope.traceparent
        )
        processing_event.collect_events(assignment)

    def _back_to_last(self, assignment: Assignment) -> Decision:
        organizations = self.directory(assignment.tenant).organizations
        last = organizations.get(assignment.organization or "")
        otherwise = self.explain(assignment.facts, assignment.declined)
        return back_to_last(last, self.ruleset(assignment.tenant).version, otherwise.decision)

    # --- plumbing -----------------------------------------------------------------------------

    @react.register
    def _(
        self,
        payload: CasePersonalDataErased,
        incoming: Incoming,
        processing_event: ProcessingEvent[UUID],
    ) -> None:
        """The citizen was forgotten at intake: the case's key goes, and with it the description
        in every decision's facts; who decided what, and why, stays."""
        self.vault.erase([payload.case_id], payload.actor or "intake-svc", payload.occurred_at)
        assignment = self._find(Assignment, Assignment.create_id(payload.case_id))
        if assignment is not None:
            assignment.erase_personal_data(payload.occurred_at)
            processing_event.collect_events(assignment)

    def _decided(self, case_id: str) -> Assignment:
        assignment = self._find(Assignment, Assignment.create_id(case_id))
        if assignment is None:
            # The received event has not been routed yet (or went to the DLQ): wait for it.
            raise RetryLater(f"case {case_id} has no routing decision yet")
        return assignment

    def _check(self, tenant: Tenant, rules: RulesDocument, directory: Directory) -> Report:
        report = _report(tenant, rules, directory)
        if not report.ok:
            raise InvalidRules(report)
        return report

    def _find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(aggregate, kind)
        return aggregate

    def _to_change(self, kind: type[D], tenant_id: str) -> D:
        """A fresh copy to change: the kept ones are shared by every read, never changed."""
        aggregate = self._find(kind, kind.create_id(self.tenant(tenant_id).id))
        if aggregate is None:
            raise UnknownTenant(f"tenant {tenant_id!r} was never seeded")
        return aggregate

    def _current(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """Directory and rules are read by every decision: kept in memory (read-only), and read
        again only when the store holds another version, e.g. another replica's change."""
        last = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        if not last:
            return None
        kept = self._latest.get(aggregate_id)
        if isinstance(kept, kind) and kept.version == last[0].originator_version:
            return kept
        aggregate = self._find(kind, aggregate_id)
        if aggregate is not None:
            self._latest[aggregate_id] = aggregate
        return aggregate

    def _save(self, *aggregates: Aggregate) -> None:
        try:
            self.save(*aggregates)
        except IntegrityError:
            raise ConcurrentChange("changed meanwhile by another request: retry") from None


def _report(tenant: Tenant, rules: RulesDocument, directory: Directory) -> Report:
    return validate(rules, directory.organizations, {c.service_code for c in tenant.categories})
