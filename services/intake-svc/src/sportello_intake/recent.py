"""Reads by a reference the caller was just given: the case index first, then the log's tail.

The case index follows intake's notification log (adapters/indexing.py), normally a few
milliseconds behind, longer under load or while it catches up. A client that has just been told
"your reference is TO-2026-000123" reads it back at once (FixMyStreet and other Open311 clients
do): a 404 then would report a failure for a case that exists. So a lookup by reference that the
index cannot answer reads the part of the log the index has not reached yet: the file of record.

Order matters. The indexer upserts a batch and only then records its position, so reading the
position *before* searching the index means that whatever the index lacks lies after that
position: a case indexed meanwhile is in the index's answer or in the tail, never in neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import Notification
from prometheus_client import Counter

from .domain import Case
from .search import CaseQuery, CaseRow

if TYPE_CHECKING:
    from .application import IntakeApplication

INDEX_POSITION = "case-index"  # the indexer's tracking name in intake's store
REGISTERED_TOPIC = f"{Case.Registered.__module__}:{Case.Registered.__qualname__}"
CHUNK = 200  # notification ids read at a time, newest first
WINDOW = 50_000  # how far behind the log's head a lookup reads (a rebuilding index is further)

FROM_LOG = Counter(
    "sportello_case_index_fallback_reads_total",
    "Lookups by reference that the case index could not answer yet, read from the event log",
    ["outcome"],  # found: the case was in the unindexed tail; absent: it does not exist (yet)
)


def cases_by_reference(
    app: IntakeApplication, tenant: str, references: Sequence[str]
) -> list[Case]:
    """The tenant's cases with these references, newest first, indexed or not yet."""
    wanted = set(references)
    if not wanted:
        return []
    position = app.recorder.max_tracking_id(INDEX_POSITION) or 0  # before the index: see above
    query = CaseQuery(tenant=tenant, references=sorted(wanted), limit=len(wanted))
    rows, _ = app.index.search(query)
    cases = [app.get_case(UUID(row.case_id)) for row in rows]
    missing = wanted - {row.reference for row in rows}
    if missing:
        unindexed = _unindexed(app, tenant, set(missing), position)
        FROM_LOG.labels("found").inc(len(unindexed))
        FROM_LOG.labels("absent").inc(len(missing) - len(unindexed))
        cases += unindexed
    return sorted(cases, key=lambda c: (-c.received_at.timestamp(), str(c.id)))


def _unindexed(app: IntakeApplication, tenant: str, wanted: set[str], after: int) -> list[Case]:
    """Registrations after the index's position, newest first: a case just created is found in
    the first chunk, whatever the index's lag."""
    recorder = app.recorder
    head = recorder.max_notification_id() or 0
    floor = max(after, head - WINDOW)
    found: list[Case] = []
    stop = head
    while wanted and stop > floor:
        start = max(stop - CHUNK, floor) + 1
        chunk = recorder.select_notifications(
            start=start, limit=CHUNK, stop=stop, topics=[REGISTERED_TOPIC]
        )
        for case_id in _matching(app, reversed(chunk), tenant, wanted):
            found.append(app.get_case(case_id))
        stop = start - 1
    return found


def _matching(
    app: IntakeApplication, notifications: Iterable[Notification], tenant: str, wanted: set[str]
) -> Iterable[UUID]:
    for notification in notifications:
        registered = app.mapper.to_domain_event(notification)
        assert isinstance(registered, Case.Registered)
        if registered.tenant == tenant and registered.reference in wanted:
            wanted.discard(registered.reference)
            yield UUID(str(registered.originator_id))


def search_reading_back(app: IntakeApplication, query: CaseQuery) -> tuple[list[CaseRow], int]:
    """The operators' search; a search by reference also finds a case the index has not reached
    yet (the reference was just handed out), within the query's tenant and organization."""
    rows, total = app.search_cases(query)
    if not query.references or len(rows) >= len(query.references) or query.tenant is None:
        return rows, total
    found = {row.reference for row in rows}
    fresh = cases_by_reference(app, query.tenant, [r for r in query.references if r not in found])
    extra = [
        CaseRow.of(case)
        for case in fresh
        if query.organization in (None, case.organization)
        and query.status in (None, case.status.value)
        and query.category in (None, case.category)
    ]
    return rows + extra, total + len(extra)
