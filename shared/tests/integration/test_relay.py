"""The outbox relay against a real nats-server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Tracking
from nats.js import JetStreamContext
from sportello_shared.bus.leases import FileLockLease
from sportello_shared.bus.relay import RELAY_POSITION, Outgoing, Relay
from sportello_shared.settings import ServiceSettings

from .conftest import BusTestApplication, ticket_to_public


@pytest.fixture
def app(store: dict[str, str]) -> BusTestApplication:
    settings = ServiceSettings(service_name="bustest", **store)  # type: ignore[arg-type]
    from sportello_shared.persistence import ensure_schema

    ensure_schema(settings)
    return BusTestApplication(env=settings.eventsourcing_env())


class CrashBeforeRecordingPosition(RuntimeError):
    pass


async def test_relay_publishes_every_event_once_in_order(
    app: BusTestApplication, js: JetStreamContext, tmp_path: Path
) -> None:
    tickets = app.open_tickets(25)
    relay = Relay(app, js, ticket_to_public, FileLockLease(tmp_path / "relay.lock"), batch_size=10)

    while await relay.relay_pending():
        pass

    info = await js.stream_info("CASES")
    assert info.state.messages == 25
    first = await js.get_msg("CASES", seq=1)
    assert first.headers is not None
    assert first.headers["Nats-Msg-Id"] == f"{tickets[0].id}:1"
    assert app.recorder.max_tracking_id(RELAY_POSITION) == app.recorder.max_notification_id()


async def test_crash_after_publish_before_position_republishes_without_duplicates(
    app: BusTestApplication, js: JetStreamContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.open_tickets(20)
    relay = Relay(app, js, ticket_to_public, FileLockLease(tmp_path / "relay.lock"), batch_size=50)
    insert_tracking = app.recorder.insert_tracking

    def crash(tracking: Tracking) -> None:
        raise CrashBeforeRecordingPosition(tracking)

    monkeypatch.setattr(app.recorder, "insert_tracking", crash)
    with pytest.raises(CrashBeforeRecordingPosition):
        await relay.relay_pending()
    assert (await js.stream_info("CASES")).state.messages == 20
    assert app.recorder.max_tracking_id(RELAY_POSITION) is None

    # The process restarts: a new relay, the position never recorded, everything republished.
    monkeypatch.setattr(app.recorder, "insert_tracking", insert_tracking)
    restarted = Relay(
        app, js, ticket_to_public, FileLockLease(tmp_path / "relay.lock"), batch_size=50
    )
    assert await restarted.relay_pending() == 20

    assert (await js.stream_info("CASES")).state.messages == 20
    assert app.recorder.max_tracking_id(RELAY_POSITION) == 20


async def test_an_event_that_cannot_be_mapped_is_dead_lettered_and_the_rest_flow(
    app: BusTestApplication, js: JetStreamContext, tmp_path: Path
) -> None:
    tickets = app.open_tickets(3)

    def to_public_failing_on_the_second(domain_event: Any) -> Outgoing | None:
        if domain_event.originator_id == tickets[1].id:
            raise ValueError("organization 'Ufficio Tecnico' is not a subject token")
        return ticket_to_public(domain_event)

    relay = Relay(app, js, to_public_failing_on_the_second, FileLockLease(tmp_path / "l"))
    assert await relay.relay_pending() == 3

    assert (await js.stream_info("CASES")).state.messages == 2
    dead = await js.get_last_msg("DLQ", "dlq.bustest")
    assert dead.headers is not None
    assert "cannot map stored event" in dead.headers["Sportello-Dlq-Reason"]
    assert json.loads(dead.data)["originator_id"] == str(tickets[1].id)


async def test_a_v2_is_published_beside_v1_during_a_deprecation_period(
    app: BusTestApplication, js: JetStreamContext, tmp_path: Path
) -> None:
    [ticket] = app.open_tickets(1)

    def v1_and_v2(domain_event: Any) -> list[Outgoing] | None:
        v1 = ticket_to_public(domain_event)
        if v1 is None:
            return None
        v2 = Outgoing(
            v1.subject,
            v1.event.model_copy(update={"type": v1.event.type.replace(".v1", ".v2")}),
        )
        return [v1, v2]

    relay = Relay(app, js, v1_and_v2, FileLockLease(tmp_path / "l"))
    await relay.relay_pending()
    await Relay(app, js, v1_and_v2, FileLockLease(tmp_path / "l2")).relay_pending()  # again

    assert (await js.stream_info("CASES")).state.messages == 2  # both, once each
    first = await js.get_msg("CASES", seq=1)
    second = await js.get_msg("CASES", seq=2)
    assert first.headers and first.headers["Nats-Msg-Id"] == f"{ticket.id}:1"
    assert second.headers and second.headers["Nats-Msg-Id"] == f"{ticket.id}:1:v2"


async def test_a_case_s_events_keep_their_order_when_a_batch_is_published_in_windows(
    app: BusTestApplication, js: JetStreamContext, tmp_path: Path
) -> None:
    tickets = app.open_tickets(40)

    def three_per_case(domain_event: Any) -> list[Outgoing] | None:
        first = ticket_to_public(domain_event)
        if first is None:
            return None
        return [
            Outgoing(
                first.subject,
                first.event.model_copy(update={"type": first.event.type.replace(".v1", f".v{n}")}),
            )
            for n in (1, 2, 3)
        ]

    relay = Relay(app, js, three_per_case, FileLockLease(tmp_path / "l"), batch_size=40)
    await relay.relay_pending()

    info = await js.stream_info("CASES")
    assert info.state.messages == 120
    seen: dict[str, list[str]] = {}
    in_stream_order = []
    for seq in range(1, 121):
        message = await js.get_msg("CASES", seq=seq)
        assert message.headers is not None
        case, _, version = message.headers["Nats-Msg-Id"].partition(":1")
        seen.setdefault(case, []).append(version)
        in_stream_order.append(case)
    assert set(seen) == {str(t.id) for t in tickets}
    assert all(versions == ["", ":v2", ":v3"] for versions in seen.values())
    # the first event of every case went out together, before any case's second
    assert len(set(in_stream_order[:40])) == 40
