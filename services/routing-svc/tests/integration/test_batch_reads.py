"""A batch asks the directory's and the rules' versions once (reads.py, `process_batch`), not at
every read; the next batch sees what another replica changed meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from sportello_contracts import wrap
from sportello_contracts.cases import CaseReceived, Channel, Kind
from sportello_contracts.personal import PersonalAnswer
from sportello_devstack.testing import eventually_sync
from sportello_routing.application import RoutingApplication
from sportello_routing.domain import Assignment
from sportello_shared.application import Incoming
from sportello_shared.store_changes import store_changes

from .test_seeding import open_application

CATEGORY = "decoro_pulizia"  # torino: pm-reparto-5
_positions = iter(range(1, 1_000_000))


@pytest.fixture
def replicas(store: dict[str, str]) -> Iterator[tuple[RoutingApplication, RoutingApplication]]:
    here, elsewhere = open_application(store), open_application(store)
    yield here, elsewhere
    here.close()
    elsewhere.close()


def received(case_id: str) -> tuple[Incoming, Tracking]:
    now = datetime.now(UTC)
    payload = CaseReceived(
        case_id=case_id,
        reference="TO-2026-000001",
        occurred_at=now,
        kind=Kind("segnalazione"),
        channel=Channel.PHONE,
        category=CATEGORY,
        has_location=False,
        received_at=now,
        registered_at=now,
    )
    envelope = wrap(
        payload,
        aggregate_id=case_id,
        aggregate_version=1,
        source="/intake",
        subject=case_id,
        time=now,
        tenant="torino",
        organization="none",
        traceparent=None,
    )
    personal = PersonalAnswer(
        case_id=case_id,
        reference=payload.reference,
        tenant="torino",
        citizen={"name": "Luca"},
        description="Cassonetti pieni",
    )
    incoming = Incoming(envelope, payload, "cases.torino.unassigned", personal)
    return incoming, Tracking("intake", next(_positions))


def versions_asked(app: RoutingApplication, monkeypatch: pytest.MonkeyPatch) -> list[UUID]:
    asked: list[UUID] = []
    select_events = app.recorder.select_events

    def counting(originator_id: Any, **kwargs: Any) -> Any:
        if kwargs.get("desc") and kwargs.get("limit") == 1:
            asked.append(originator_id)
        return select_events(originator_id, **kwargs)

    monkeypatch.setattr(app.recorder, "select_events", counting)
    return asked


def reasons(app: RoutingApplication, case_id: str) -> tuple[str, ...]:
    assignment: Assignment = app.repository.get(Assignment.create_id(case_id))
    return tuple(assignment.history[-1]["reasons"])


def test_a_batch_asks_each_version_once_and_the_next_batch_sees_a_change(
    replicas: tuple[RoutingApplication, RoutingApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, elsewhere = replicas
    competent = here.directory("torino").organizations["pm-reparto-5"]
    asked = versions_asked(here, monkeypatch)
    first = [str(uuid4()) for _ in range(3)]

    assert here.process_batch([received(case_id) for case_id in first]) == [None] * 3

    assert len(asked) == 2  # the directory and the rules, once each for three cases
    assert all(f"choose {competent.name} " in " ".join(reasons(here, c)) for c in first)

    renamed = competent.model_copy(update={"name": "Nucleo Decoro Urbano"})
    elsewhere.put_organization("torino", renamed, "ops")
    later = str(uuid4())
    assert here.process_batch([received(later)]) == [None]
    assert "choose Nucleo Decoro Urbano " in " ".join(reasons(here, later))
    assert len(asked) == 4

    here.directory("torino")  # outside a batch: asked at every read, as before
    here.directory("torino")
    assert len(asked) == 6


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_with_the_store_s_signal_the_versions_are_asked_only_after_another_process_committed(
    replicas: tuple[RoutingApplication, RoutingApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the service, where a follower listens: nothing asked while nobody else commits; a
    change of this process's own is seen at once, another process's once its NOTIFY is in."""
    here, elsewhere = replicas
    signal = store_changes(here.recorder)
    stop = signal.subscribe(lambda: None)
    try:
        eventually_sync(lambda: signal.others() is not None)
        competent = here.directory("torino").organizations["pm-reparto-5"]  # read, then kept
        here.ruleset("torino")
        asked = versions_asked(here, monkeypatch)
        assert here.process_batch([received(str(uuid4())) for _ in range(3)]) == [None] * 3
        here.directory("torino")
        assert asked == []

        here.put_organization("torino", competent.model_copy(update={"name": "Qui"}), "ops")
        assert here.directory("torino").organizations["pm-reparto-5"].name == "Qui"

        seen = signal.others()
        elsewhere.put_organization("torino", competent.model_copy(update={"name": "Là"}), "ops")
        eventually_sync(lambda: signal.others() != seen)
        later = str(uuid4())
        assert here.process_batch([received(later)]) == [None]
        assert "choose Là " in " ".join(reasons(here, later))
    finally:
        stop()
