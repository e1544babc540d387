"""Which aggregates the writer thread reads while a batch's policies run (`observe_reads`): a
policy that reads what an earlier message of the same batch wrote must not see the stale,
committed state, and the batch defers it instead (see `application.py`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

_observed = threading.local()


def read_key(aggregate_id: UUID | str) -> UUID | str:
    """One form for an aggregate id, whether a UUID or its text (as SQLite hands it around)."""
    if isinstance(aggregate_id, UUID):
        return aggregate_id
    try:
        return UUID(aggregate_id)
    except ValueError:
        return aggregate_id


@contextmanager
def observe_reads() -> Iterator[set[UUID | str]]:
    """Collect the ids of the aggregates this thread reads inside the block."""
    reads: set[UUID | str] = set()
    previous = getattr(_observed, "reads", None)
    _observed.reads = reads
    try:
        yield reads
    finally:
        _observed.reads = previous


def note_read(aggregate_id: UUID | str) -> None:
    reads: set[UUID | str] | None = getattr(_observed, "reads", None)
    if reads is not None:
        reads.add(read_key(aggregate_id))
