"""Two replicas drawing from one tenant's reference counter, on SQLite and PostgreSQL.

Each replica keeps the counter as it last committed it and brings it up to date before drawing
(counters.py): numbers the other replica issued meanwhile are never issued again, and none is
skipped.
"""

from __future__ import annotations

from pathlib import Path

from sportello_intake.application import IntakeApplication, RegisterCase
from sportello_intake.main import open_case_index
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
