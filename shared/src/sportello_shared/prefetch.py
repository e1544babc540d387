"""A batch's aggregates read in one query, instead of one query per `repository.get`.

Half of every service's CPU went to psycopg doing one small query at a time (the profile in
docs/benchmarks.md): sla-svc read the case's profile and then one clock per standard of the
tenant for every event, most of them to learn that the clock does not exist. A service names
the aggregates a message will read (`ServiceApplication.aggregates_to_read`); before the batch's
policies run, the writer thread reads all of them with one `select_events_of` and each
`repository.get` of one of those ids rebuilds the aggregate from the events read then.

What a policy sees is what it would have read one query at a time: the store's committed state
when the batch began. A message that reads what an earlier message of the same batch wrote is
deferred by the batch either way (application.py), so nothing reads the batch's own writes.
Each `get` rebuilds a fresh aggregate from the (immutable) events, so one message's changes
never leak into another's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import Mapper, StoredEvent

from .recorders import note_read, read_key
from .remembered import Remembered
from .store_changes import StoreChanges

_local = threading.local()


class ReadsMany(Protocol):
    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]: ...


def case_of(payload: object) -> UUID | None:
    """The case a message is about, when it names one by a well-formed id."""
    case_id = getattr(payload, "case_id", None)
    if not isinstance(case_id, str):
        return None
    try:
        return UUID(case_id)
    except ValueError:
        return None


@contextmanager
def prefetched(
    recorder: object,
    mapper: Mapper[UUID],
    ids: Iterable[UUID],
    remembered: Remembered | None = None,
    changes: StoreChanges | None = None,
) -> Iterator[None]:
    """While the block runs on this thread, `lookup` answers for `ids` from one query, or from
    what `remembered` kept of them while no other process committed (`changes.others()`)."""
    wanted = sorted(set(ids))
    if not wanted or not hasattr(recorder, "select_events_of"):
        yield
        return
    reader: ReadsMany = recorder
    others = changes.others() if remembered is not None and changes is not None else None
    known = remembered.known(wanted, others) if remembered is not None else {}
    missing = [i for i in wanted if i not in known]
    stored = reader.select_events_of(missing) if missing else {}
    events = {i: [mapper.to_domain_event(s) for s in stored.get(i, [])] for i in missing}
    if remembered is not None:
        remembered.keep_read(events, others)
    events.update(known)
    previous: Mapping[UUID, list[Any]] | None = getattr(_local, "events", None)
    _local.events = events
    try:
        yield
    finally:
        _local.events = previous


def lookup(aggregate_id: UUID) -> tuple[bool, Any]:
    """(True, a fresh aggregate) for a prefetched id; (False, None) to read it from the store.

    A prefetched id with no events raises AggregateNotFoundError, as the store would."""
    events: Mapping[UUID, list[Any]] | None = getattr(_local, "events", None)
    if events is None or aggregate_id not in events:
        return False, None
    found = events[aggregate_id]
    if not found:
        raise AggregateNotFoundError(aggregate_id)
    aggregate = None
    for domain_event in found:  # project_aggregate's loop without its isinstance of a Protocol,
        aggregate = domain_event.mutate(aggregate)  # 4 % of a consumer's time
    return True, aggregate


def prefetched_event(aggregate_id: UUID, version: int) -> Any | None:
    """The prefetched event of `aggregate_id` at `version`, if it was read with the batch."""
    events: Mapping[UUID, list[Any]] | None = getattr(_local, "events", None)
    for domain_event in (events or {}).get(aggregate_id, ()):
        if domain_event.originator_version == version:
            return domain_event
    return None


class ObservedRepository(Repository[UUID]):
    """eventsourcing's repository, noting what a batch's policies read (recorders.py) and
    answering prefetched ids from the batch's one query."""

    def get(self, aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        note_read(aggregate_id)
        if not args and not kwargs and self.cache is None:
            found, aggregate = lookup(read_key(aggregate_id))  # type: ignore[arg-type]
            if found:
                return aggregate
        return super().get(aggregate_id, *args, **kwargs)
