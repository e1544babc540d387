"""Reference counters kept between registration batches.

Every registration batch reads its tenant's counter for the year. Read from the store, that is
a snapshot plus up to a hundred `Issued` events, each decrypted and replayed: 15 % of intake's
CPU under load (docs/benchmarks.md). This replica keeps the state it last committed and brings
it up to date with one query for the events after it, usually none; numbers another replica
issued meanwhile arrive that way, and a number drawn twice still fails on the store's version
check (the caller draws again).
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository, project_aggregate

from .domain import ReferenceCounter


class CounterCache:
    """Used from the writer thread only, as every registration is."""

    def __init__(self, repository: Repository[UUID]) -> None:
        self._repository = repository
        self._committed: dict[UUID, ReferenceCounter] = {}

    def get(self, tenant: str, year: int) -> ReferenceCounter:
        """The counter as committed, a copy the caller may change."""
        counter_id = ReferenceCounter.create_id(tenant, year)
        committed = self._committed.get(counter_id)
        if committed is None:
            try:
                counter: ReferenceCounter = self._repository.get(counter_id)
            except AggregateNotFoundError:
                return ReferenceCounter(tenant, year)
            return counter
        newer = self._repository.event_store.get(counter_id, gt=committed.version)
        updated = project_aggregate(deepcopy(committed), newer)
        assert updated is not None
        return updated

    def committed(self, counters: Iterable[ReferenceCounter]) -> None:
        """After a save: these states are in the store."""
        for counter in counters:
            self._committed[counter.id] = deepcopy(counter)
