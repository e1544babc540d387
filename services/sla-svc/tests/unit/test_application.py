"""SlaApplication's reactions and sweep, on eventsourcing's in-memory store (no bus)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from sportello_shared.application import Incoming, RetryLater
from sportello_shared.contracts import EventPayload, wrap
from sportello_shared.contracts.cases import CaseAssigned, CaseClosed, CaseReceived, Citizen
from sportello_sla.application import SlaApplication
from sportello_sla.domain import ClockStatus

NOW = datetime(2026, 5, 4, 11, 0, tzinfo=UTC)
NOTIFICATION_IDS = count(1)


def incoming(payload: EventPayload, organization: str = "unassigned") -> Incoming:
    envelope = wrap(
        payload,
        aggregate_id=getattr(payload, "case_id", "x"),
        aggregate_version=1,
        source="/test",
        subject=getattr(payload, "case_id", "x"),
        time=NOW,
        tenant="pisa",
        organization=organization,
        traceparent=None,
    )
    return Incoming(envelope, payload)


def received(case_id: str, at: datetime) -> CaseReceived:
    return CaseReceived(
        case_id=case_id,
        reference="PI-2026-000042",
        occurred_at=at,
        kind="reclamo",
        channel="phone",
        category="tributi",
        description="Bollettino TARI errato",
        citizen=Citizen(name="Luca Bianchi", phone="+39 050 123456"),
        received_at=at,
        registered_at=at,
    )


def assigned(case_id: str, organization: str) -> CaseAssigned:
    return CaseAssigned(
        case_id=case_id,
        reference="PI-2026-000042",
        occurred_at=NOW,
        organization=organization,
        organization_name="SEPI",
        rule_id="tributi",
        rule_version=1,
        reasons=["category tributi"],
    )


def closed(case_id: str, at: datetime) -> CaseClosed:
    return CaseClosed(case_id=case_id, reference="PI-2026-000042", occurred_at=at, outcome="ok")


def process(app: SlaApplication, payload: EventPayload) -> None:
    app.process_incoming(incoming(payload), Tracking("intake", next(NOTIFICATION_IDS)))


@pytest.fixture
def app() -> SlaApplication:
    return SlaApplication()


def test_a_received_case_starts_its_clock_once_even_if_redelivered(app: SlaApplication) -> None:
    case_id = str(uuid4())
    process(app, received(case_id, NOW))
    process(app, received(case_id, NOW))  # the same event again, under another tracking id

    [clock] = app.clocks_for(UUID(case_id))
    assert clock.status is ClockStatus.RUNNING and clock.version == 1
    assert clock.tenant == "pisa" and clock.organization is None
    assert len(app.running) == 1


def test_assigned_then_closed_in_time_is_met_and_carries_the_organization(
    app: SlaApplication,
) -> None:
    case_id = str(uuid4())
    process(app, received(case_id, NOW - timedelta(days=2)))
    process(app, assigned(case_id, "sepi"))
    process(app, closed(case_id, NOW))

    [clock] = app.clocks_for(UUID(case_id))
    assert clock.status is ClockStatus.MET
    assert clock.organization == "sepi" and clock.stopped_at == NOW
    assert len(app.running) == 0


def test_a_closed_that_overtook_its_received_is_retried_later(app: SlaApplication) -> None:
    case_id = str(uuid4())
    with pytest.raises(RetryLater):
        process(app, closed(case_id, NOW))
    with pytest.raises(RetryLater):
        process(app, assigned(case_id, "sepi"))
    assert app.clocks_for(UUID(case_id)) == []


def test_the_sweep_breaches_overdue_running_clocks_only(app: SlaApplication) -> None:
    overdue, in_time, closed_late = str(uuid4()), str(uuid4()), str(uuid4())
    process(app, received(overdue, NOW - timedelta(days=40)))
    process(app, received(in_time, NOW - timedelta(days=10)))
    process(app, received(closed_late, NOW - timedelta(days=50)))
    process(app, closed(closed_late, NOW - timedelta(days=1)))

    breached = app.breach_overdue(NOW)
    assert [clock.case_id for clock in breached] == [UUID(overdue)]
    assert app.breach_overdue(NOW + timedelta(minutes=1)) == []

    [clock] = app.clocks_for(UUID(overdue))
    assert clock.status is ClockStatus.BREACHED and clock.stopped_at is None
    process(app, closed(overdue, NOW + timedelta(hours=1)))
    [clock] = app.clocks_for(UUID(overdue))
    assert clock.status is ClockStatus.BREACHED and clock.stopped_at == NOW + timedelta(hours=1)
    assert len(app.running) == 1  # in_time
