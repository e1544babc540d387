"""Reference counters kept between registration batches.

Every registration batch reads its tenant's counter for the year. Read from the store, that is
a snapshot plus up to a hundred `Issued` events, each decrypted and replayed: 15 % of intake's
CPU under load (docs/benchmarks.md). This replica keeps the state it last committed and brings
it up to date with one query for the events after it, usually none; numbers another replica
issued meanwhile arrive that way, and a number drawn twice still fails on the store's version
check (the caller forgets the kept counters and draws again). While the store says no other
process has committed since (`StoreChanges.others`, PostgreSQL's LISTEN), not even that query:
what this replica committed last is the counter.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository, project_aggregate
from sportello_shared.store_changes import StoreChanges

from .domain import ReferenceCounter


class CounterCache:
    """Used from the writer thread only, as every registration is."""

    def __init__(self, repository: Repository[UUID], changes: StoreChanges) -> None:
        self._repository = repository
        self._changes = changes
        # each counter as last committed here, with other processes' commits counted before that
        self._committed: dict[UUID, tuple[ReferenceCounter, int | None]] = {}

    def get(self, tenant: str, year: int) -> ReferenceCounter:
        """The counter as committed, a copy the caller may change."""
        counter_id = ReferenceCounter.create_id(tenant, year)
        kept = self._committed.get(counter_id)
        if kept is None:
            try:
                counter: ReferenceCounter = self._repository.get(counter_id)
            except AggregateNotFoundError:
                return ReferenceCounter(tenant, year)
            return counter
        committed, others = kept
        if others is not None and self._changes.others() == others:
            return deepcopy(committed)  # nobody else committed since: no query
        newer = self._repository.event_store.get(counter_id, gt=committed.version)
        updated = project_aggregate(deepcopy(committed), newer)
        assert updated is not None
        return updated

    def others(self) -> int | None:
        """Other processes' commits so far, taken before a save (one during it is a change)."""
        return self._changes.others()

    def committed(self, counters: Iterable[ReferenceCounter], others: int | None) -> None:
        """After a save: these states are in the store."""
        for counter in counters:
            self._committed[counter.id] = (deepcopy(counter), others)

    def forget(self) -> None:
        """A save conflicted: another process drew from a counter; read them all again."""
        self._committed.clear()
