"""routing-svc's reads: the directory, the rules (any version), decisions, explanations; and
the plumbing every use case shares (finding, caching, saving aggregates)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording, Tracking
from sportello_shared.application import Incoming, RetryLater, ServiceApplication
from sportello_shared.personal_data.store import PersonalDataStore
from sportello_shared.store_changes import store_changes
from sportello_shared.tenants import Tenant, TenantCatalogue, UnknownTenant

from .domain import (
    Assignment,
    CaseFacts,
    Directory,
    Explanation,
    RoutingDocument,
    RuleSet,
    decide,
)

Clock = Callable[[], datetime]
A = TypeVar("A", bound=Aggregate)
D = TypeVar("D", Directory, RuleSet)


class AssignmentNotFound(LookupError):
    pass


class VersionNotFound(LookupError):
    pass


class ConcurrentChange(RuntimeError):
    """Another replica changed the same aggregate first: the caller may retry."""


class RoutingReads(PersonalDataStore, ServiceApplication):
    """What every routing use case reads through, and how it saves."""

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
        # directory and rules as last read, with other processes' commits counted before then
        self._latest: dict[UUID, tuple[Aggregate, int | None]] = {}
        self._changes = store_changes(self.recorder)
        self._batch = threading.local()  # `asked`: the versions asked in this thread's batch

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

    # --- plumbing -----------------------------------------------------------------------------

    def process_batch(self, batch: Sequence[tuple[Incoming, Tracking]]) -> list[Exception | None]:
        """Within one batch the directory's and the rules' versions are asked once, not by every
        read (three per case): the batch commits as one, and a change committed meanwhile by
        another replica races with it either way."""
        self._batch.asked = set()
        try:
            return super().process_batch(batch)
        finally:
            del self._batch.asked

    def _decided(self, case_id: str) -> Assignment:
        assignment = self._find(Assignment, Assignment.create_id(case_id))
        if assignment is None:
            # The received event has not been routed yet (or went to the DLQ): wait for it.
            raise RetryLater(f"case {case_id} has no routing decision yet")
        return assignment

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
        again only when the store holds another version, e.g. another replica's change. Asked
        once per batch, and not at all while no other process has committed since they were
        read (`StoreChanges.others`): this process's own changes drop them (`_record`)."""
        kept, others = self._latest.get(aggregate_id, (None, None))
        if isinstance(kept, kind) and others is not None and self._changes.others() == others:
            return kept
        asked: set[UUID] | None = getattr(self._batch, "asked", None)
        if asked is not None and aggregate_id in asked and isinstance(kept, kind):
            return kept
        others = self._changes.others()  # before the read: a commit during it is a change
        last = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        if not last:
            return None
        if asked is not None:
            asked.add(aggregate_id)
        if isinstance(kept, kind) and kept.version == last[0].originator_version:
            self._latest[aggregate_id] = (kept, others)
            return kept
        aggregate = self._find(kind, aggregate_id)
        if aggregate is not None:
            self._latest[aggregate_id] = (aggregate, others)
        return aggregate

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        recordings = super()._record(processing_event)
        for recording in recordings:
            self._latest.pop(recording.domain_event.originator_id, None)  # changed here
        return recordings

    def _save(self, *aggregates: Aggregate) -> None:
        try:
            self.save(*aggregates)
        except IntegrityError:
            raise ConcurrentChange("changed meanwhile by another request: retry") from None
