"""Two replicas drawing from one tenant's reference counter, on SQLite and PostgreSQL.

Each replica keeps the counter as it last committed it and brings it up to date before drawing
(counters.py): numbers the other replica issued meanwhile are never issued again, and none is
skipped.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sportello_devstack.testing import eventually_sync
from sportello_intake.application import IntakeApplication, RegisterCase
from sportello_intake.domain import ReferenceCounter
from sportello_intake.main import open_case_index
from sportello_shared.store_changes import store_changes
from sportello_shared.tenants import load_tenants

from .conftest import ROOT, settings_for

CASE = {
    "tenant": "torino",
    "kind": "segnalazione",
    "channel": "web",
    "category": "decoro_pulizia",
    "description": "Cassonetti traboccanti",
    "citizen": {"name": "Maria Rossi", "email": "maria.rossi@example.org"},
}


def replica(store: dict[str, str], nats_url: str, index_dir: Path) -> IntakeApplication:
    settings = settings_for(store, nats_url)
    tenants = load_tenants(ROOT / "deploy" / "tenants")
    if "DATABASE_URL" not in store:  # each replica its own index file, one event store
        index_dir.mkdir(parents=True, exist_ok=True)
        settings = settings_for({**store, "SPORTELLO_DATA_DIR": str(index_dir)}, nats_url)
        env = settings_for(store, nats_url).eventsourcing_env()
        return IntakeApplication(tenants, open_case_index(settings), env=env)
    return IntakeApplication(tenants, open_case_index(settings), env=settings.eventsourcing_env())


def register(app: IntakeApplication, count: int) -> list[int]:
    outcomes = app.register_cases([RegisterCase(**CASE, actor="test") for _ in range(count)])
    numbers = []
    for outcome in outcomes:
        assert not isinstance(outcome, Exception), outcome
        numbers.append(int(outcome.case.reference.rsplit("-", 1)[1]))
    return numbers


def test_two_replicas_interleaving_issue_every_number_once(
    store: dict[str, str], nats_url: str, tmp_path: Path
) -> None:
    first = replica(store, nats_url, tmp_path / "a")
    second = replica(store, nats_url, tmp_path / "b")
    try:
        drawn = register(first, 3)
        drawn += register(second, 2)  # knows nothing yet: reads the counter from the store
        drawn += register(first, 1)  # its kept counter is behind by two: brought up to date
        drawn += register(second, 4)
        drawn += register(first, 2)
        for _ in range(120):  # past the snapshot interval (100 events)
            drawn += register(first if len(drawn) % 3 else second, 1)
    finally:
        first.close()
        second.close()
    assert drawn == list(range(1, len(drawn) + 1))


def counter_reads(app: IntakeApplication, monkeypatch: pytest.MonkeyPatch) -> list[UUID]:
    """The reads of a reference counter from now on (the real store answers each)."""
    reads: list[UUID] = []
    counter_id = ReferenceCounter.create_id("torino", datetime.now(ZoneInfo("Europe/Rome")).year)
    event_store = app.repository.event_store
    get = event_store.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        if originator_id == counter_id:
            reads.append(originator_id)
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(event_store, "get", counted)
    return reads


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_replica_that_alone_commits_draws_without_reading_its_counter(
    store: dict[str, str], nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the store's signal on (a follower listening, as in the service), the counter is read
    only after another process committed; what the signal says late, the version check
    catches (the draw is made again), so no number is issued twice or skipped either way."""
    first = replica(store, nats_url, tmp_path / "a")
    second = replica(store, nats_url, tmp_path / "b")
    listening = [store_changes(app.recorder) for app in (first, second)]
    stops = [changes.subscribe(lambda: None) for changes in listening]
    try:
        eventually_sync(lambda: all(changes.others() is not None for changes in listening))
        drawn = register(first, 2)
        reads = counter_reads(first, monkeypatch)
        for _ in range(5):
            drawn += register(first, 1)
        assert reads == []
        seen = listening[0].others()
        drawn += register(second, 3)
        eventually_sync(lambda: listening[0].others() != seen)  # the other's NOTIFY has arrived
        drawn += register(first, 1)
        assert len(reads) == 1  # brought up to date, once
        drawn += register(second, 1)  # at once: the first's NOTIFY may not have arrived yet
        drawn += register(first, 2)
    finally:
        for stop in stops:
            stop()
        first.close()
        second.close()
    assert drawn == list(range(1, len(drawn) + 1))
