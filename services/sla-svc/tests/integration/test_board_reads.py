"""The clock board takes this process's own commits from memory (board.py, `take_committed`)
and reads the store only for what another replica committed, on its next catch-up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sportello_shared.persistence import ensure_schema, store_initialisation_lock
from sportello_sla.adapters.policy_files import load_catalogue
from sportello_sla.application import SlaApplication
from sportello_sla.main import SlaSettings

from ..unit.conftest import process, received

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
