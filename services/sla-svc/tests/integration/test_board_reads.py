"""What sla-svc reads back of its own writes: the clock board takes this process's commits from
memory (board.py, `take_committed`), a case's next message finds its clocks in memory
(shared/remembered.py); the store is read for what another process committed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from sportello_contracts import cases as c
from sportello_devstack.testing import eventually_sync
from sportello_shared.application import Incoming
from sportello_shared.persistence import ensure_schema, store_initialisation_lock
from sportello_shared.store_changes import StoreChanges, store_changes
from sportello_sla.adapters.policy_files import load_catalogue
from sportello_sla.application import SlaApplication
from sportello_sla.domain import ClockStatus
from sportello_sla.main import SlaSettings

from ..unit.conftest import NOTIFICATION_IDS, assigned, incoming, lifecycle, process, received

NOW = datetime(2026, 9, 1, 8, tzinfo=UTC)


def open_replica(store: dict[str, str]) -> SlaApplication:
    settings = SlaSettings(**dict(store))
    with store_initialisation_lock(settings):
        ensure_schema(settings)
        return SlaApplication(
            load_catalogue(settings.tenants_dir), env=settings.eventsourcing_env()
        )


@pytest.fixture
def replicas(store: dict[str, str]) -> Iterator[tuple[SlaApplication, SlaApplication]]:
    here, elsewhere = open_replica(store), open_replica(store)
    yield here, elsewhere
    here.close()
    elsewhere.close()


def count_reads(app: SlaApplication) -> list[int]:
    """How many times the app's recorder was asked for notifications (a list to read later)."""
    reads = [0]
    select = app.recorder.select_notifications

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads[0] += 1
        return select(*args, **kwargs)

    app.recorder.select_notifications = counted  # type: ignore[method-assign]
    return reads


def cases_on(app: SlaApplication) -> set[UUID]:
    return {row.case_id for row in app.board.rows()}


def test_the_board_has_a_commit_s_clocks_without_reading_the_log(
    replicas: tuple[SlaApplication, SlaApplication],
) -> None:
    here, _ = replicas
    reads = count_reads(here)
    first, second = str(uuid4()), str(uuid4())
    process(here, "pisa", received(first, NOW))
    process(here, "pisa", received(second, NOW))
    assert cases_on(here) == {UUID(first), UUID(second)}
    assert reads[0] == 0


def test_another_replica_s_commit_is_read_before_the_next_query_and_nothing_is_skipped(
    replicas: tuple[SlaApplication, SlaApplication],
) -> None:
    here, elsewhere = replicas
    theirs, ours = str(uuid4()), str(uuid4())
    process(elsewhere, "pisa", received(theirs, NOW))
    process(here, "pisa", received(ours, NOW))
    # our commit follows theirs in the log: taking it alone would skip theirs for good
    assert cases_on(here) == set()
    here.board.catch_up()  # what every query and every sweep does first
    assert cases_on(here) == {UUID(theirs), UUID(ours)}
    process(here, "pisa", received(str(uuid4()), NOW))
    assert len(cases_on(here)) == 3  # no hole any more: straight from memory again


def batch(*payloads: Any) -> list[tuple[Incoming, Tracking]]:
    return [
        (incoming(p, "rescaldina"), Tracking("intake", next(NOTIFICATION_IDS))) for p in payloads
    ]


def reads_of(app: SlaApplication) -> list[list[UUID]]:
    """The ids each batch read from the store (`select_events_of`), one list per query."""
    asked: list[list[UUID]] = []
    select = app.recorder.select_events_of  # type: ignore[attr-defined]

    def counted(ids: Any) -> Any:
        asked.append(list(ids))
        return select(ids)

    app.recorder.select_events_of = counted  # type: ignore[attr-defined]
    return asked


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_case_s_next_message_finds_its_clocks_in_memory_until_another_process_commits(
    replicas: tuple[SlaApplication, SlaApplication],
) -> None:
    """As in the service, where the relay listens to the store: what a batch read or wrote is
    not read again while nobody else commits; once another process's NOTIFY is in, it is."""
    here, elsewhere = replicas
    signal = store_changes(here.recorder)
    stop = signal.subscribe(lambda: None)
    try:
        eventually_sync(lambda: signal.others() is not None)
        reads = reads_of(here)
        case_id = str(uuid4())
        assert here.process_batch(batch(received(case_id, NOW))) == [None]
        assert len(reads) == 1  # a new case: its profile and clocks do not exist yet
        assert here.process_batch(batch(assigned(case_id, NOW + timedelta(hours=3)))) == [None]
        assert len(reads) == 1  # found in memory, as this process left them
        clocks = {clock.standard: clock.status for clock in here.clocks_for(UUID(case_id))}
        assert clocks == {"assignment_48h": ClockStatus.MET, "answer_30d": ClockStatus.RUNNING}

        seen = signal.others()
        elsewhere.process_batch(batch(received(str(uuid4()), NOW)))
        eventually_sync(lambda: signal.others() != seen)
        closed = lifecycle(c.CaseClosed, case_id, NOW + timedelta(days=2), outcome="ok")
        assert here.process_batch(batch(closed)) == [None]
        assert len(reads) == 2  # another process committed: read again
        assert {c.status for c in here.clocks_for(UUID(case_id))} == {ClockStatus.MET}
    finally:
        stop()


class NotHeardYet(StoreChanges):
    """The store's signal at the moment another process has committed and its NOTIFY is not in
    yet: the count of others' commits has not moved."""

    def others(self) -> int | None:
        return 1


def test_a_stale_clock_in_memory_fails_its_commit_and_the_message_is_processed_on_the_store(
    replicas: tuple[SlaApplication, SlaApplication],
) -> None:
    """Another replica moved the case's clocks and this one has not heard it: the save on the
    kept, stale clock conflicts, everything kept is forgotten, and the next try reads what the
    store holds."""
    here, elsewhere = replicas
    here.recorder._sportello_changes = NotHeardYet()  # type: ignore[attr-defined]
    case_id = str(uuid4())
    assert here.process_batch(batch(received(case_id, NOW))) == [None]
    assert elsewhere.process_batch(batch(assigned(case_id, NOW + timedelta(hours=3)))) == [None]
    closed = lifecycle(c.CaseClosed, case_id, NOW + timedelta(days=2), outcome="ok")
    with pytest.raises(IntegrityError):
        here.process_batch(batch(closed))
    assert here.process_batch(batch(closed)) == [None]
    assert {c.status for c in here.clocks_for(UUID(case_id))} == {ClockStatus.MET}
