"""The case index records its position at most once a second (adapters/indexing.py): an index
restarted from an older position indexes those events again and ends where it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sportello_intake.adapters.indexing import CaseIndexer
from sportello_intake.application import IntakeApplication
from sportello_intake.commands import CaseCommand
from sportello_intake.recent import INDEX_POSITION
from sportello_intake.search import CaseQuery, CaseRow
from sportello_shared.bus.leases import FileLockLease

from .test_fresh_cases import make_app, register


@pytest.fixture
def app(store: dict[str, str], nats_url: str) -> Iterator[IntakeApplication]:
    application = make_app(store, nats_url)
    yield application
    application.close()


def indexed(app: IntakeApplication) -> list[CaseRow]:
    rows, _ = app.index.search(CaseQuery(tenant="torino"))
    return sorted(rows, key=lambda row: row.reference)


async def test_an_index_restarted_from_an_older_position_ends_where_it_was(
    app: IntakeApplication, tmp_path: Path
) -> None:
    first = register(app)
    indexer = CaseIndexer(app, FileLockLease(tmp_path / "index.lock"), poll_interval=0.05)
    assert await indexer.follow_once()  # the first batch: recorded at once
    recorded = app.recorder.max_tracking_id(INDEX_POSITION)
    app.execute(CaseCommand(first, "update_citizen", "anna", {"message": "Arriva la squadra"}))
    register(app)
    assert await indexer.follow_once()  # within the second: not recorded yet
    assert app.recorder.max_tracking_id(INDEX_POSITION) == recorded
    before = indexed(app)
    assert len(before) == 2 and before[0].version == 2

    restarted = CaseIndexer(app, FileLockLease(tmp_path / "index.lock"), poll_interval=0.05)
    while await restarted.follow_once():
        pass

    assert indexed(app) == before
    assert app.recorder.max_tracking_id(INDEX_POSITION) == app.recorder.max_notification_id()
