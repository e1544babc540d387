"""A fetched batch committed in one transaction, against a real nats-server, SQLite and PostgreSQL.

Each test publishes first and then runs the consumer until JetStream has nothing pending for it,
so one fetch sees every message: what the batches look like is then deterministic.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID, uuid5

import nats
import pytest
from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent, Tracking
from nats.js import JetStreamContext
from prometheus_client import REGISTRY
from sportello_contracts import EventPayload, wrap
from sportello_contracts.cases import CaseReceived
from sportello_devstack.testing import eventually
from sportello_shared.application import Incoming, Rejected, RetryLater
from sportello_shared.bus import fetching, headers
from sportello_shared.bus.consumer import ConsumerRunner, ConsumerSpec
from sportello_shared.bus.dlq import list_dead_letters
from sportello_shared.persistence import ensure_schema
from sportello_shared.recorders import TRACKINGS
from sportello_shared.settings import ServiceSettings
from sportello_shared.writer import ApplicationProcessor, Writer

from .conftest import BusTestApplication, Echo, received

SPEC = ConsumerSpec(
    "bustest", "CASES", "bustest", ("cases.*.*.received",), max_deliver=3, ack_wait=2
)
LABEL = "bustest:bustest"
A = TypeVar("A", bound=BusTestApplication)


# --- applications whose policies show what a batch must preserve --------------------------------


class Trail(Aggregate):
    """One per case: the steps of its events, in the order the policy saw them."""

    @event("Started")
    def __init__(self, case_id: str, step: str) -> None:
        self.steps = [step]

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return uuid5(UUID(int=1), case_id)

    @event("Stepped")
    def step(self, step: str) -> None:
        self.steps.append(step)


class Board(Aggregate):
    """Shared by every case of a tenant (as intake's reference counter or notify's letter tray)."""

    @event("Opened")
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    @staticmethod
    def create_id(tenant: str) -> UUID:
        return uuid5(UUID(int=2), tenant)


class Seen(Aggregate):
    """One per case: what its policy saw of the tenant's board."""

    @event("Recorded")
    def __init__(self, case_id: str, board_open: bool) -> None:
        self.board_open = board_open

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return uuid5(UUID(int=3), case_id)


class Tally(Aggregate):
    """Shared and written by every message: read, then changed."""

    @event("Started")
    def __init__(self, tenant: str) -> None:
        self.count = 1

    @staticmethod
    def create_id(tenant: str) -> UUID:
        return uuid5(UUID(int=4), tenant)

    @event("Counted")
    def add(self) -> None:
        self.count += 1


class ScriptedApplication(BusTestApplication):
    """The category of each CaseReceived says what its policy does."""

    raced = False

    def react(
        self, payload: EventPayload, incoming: Incoming, processing_event: ProcessingEvent[UUID]
    ) -> None:
        assert isinstance(payload, CaseReceived)
        verb, _, argument = payload.category.partition(" ")
        case_id = payload.case_id
        if verb == "step":
            trail = self._get(Trail.create_id(case_id))
            if trail is None:
                trail = Trail(case_id, argument)
            else:
                trail.step(argument)
            processing_event.collect_events(trail)
        elif verb == "open-board":
            processing_event.collect_events(Board("torino"))
        elif verb == "look-at-board":  # reads the shared board, writes only its own case
            board_open = self._get(Board.create_id("torino")) is not None
            processing_event.collect_events(Seen(case_id, board_open))
        elif verb == "count":
            tally = self._get(Tally.create_id("torino"))
            if tally is None:
                tally = Tally("torino")
            else:
                tally.add()
            processing_event.collect_events(tally, Echo(case_id))
        elif verb == "reject":
            raise Rejected("the policy refuses it")
        elif verb == "later":
            raise RetryLater("waits for an event that never comes")
        elif verb == "race-aggregate":
            # Read first, then another replica commits the same aggregate before our commit.
            if self._get(Echo.create_id(case_id)) is None:
                processing_event.collect_events(Echo(case_id))
                if not self.raced:
                    self.raced = True
                    self.save(Echo(case_id))
        elif verb == "race-tracking":
            # Another replica processes this very message and commits before us.
            processing_event.collect_events(Echo(case_id))
            if not self.raced:
                self.raced = True
                self.events.put(Echo(case_id).collect_events(), tracking=processing_event.tracking)
        else:
            processing_event.collect_events(Echo(case_id))

    def _get(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None


class PrefetchingScriptedApplication(ScriptedApplication):
    """The same policies, with every aggregate they may read fetched for the batch in one query
    (prefetch.py): the batch semantics above must not change."""

    def aggregates_to_read(self, incoming: Incoming) -> list[UUID]:
        case_id = incoming.payload.case_id  # type: ignore[attr-defined]
        return [
            Trail.create_id(case_id),
            Board.create_id("torino"),
            Tally.create_id("torino"),
            Echo.create_id(case_id),
        ]


# --- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture(params=["one-by-one", "prefetched"])
def scripted(request: pytest.FixtureRequest) -> type[ScriptedApplication]:
    """Each scripted test with reads one query per aggregate, and with the batch's reads in one."""
    return ScriptedApplication if request.param == "one-by-one" else PrefetchingScriptedApplication


@pytest.fixture
def make_app(store: dict[str, str]) -> Callable[[type[A]], A]:
    def make(cls: type[A]) -> A:
        settings = ServiceSettings(service_name="bustest", **store)  # type: ignore[arg-type]
        ensure_schema(settings)
        return cls(env=settings.eventsourcing_env())

    return make


async def publish(
    js: JetStreamContext,
    case_id: str,
    notification_id: int,
    description: str = "echo",
    msg_id: str | None = None,
) -> None:
    payload = received(case_id).model_copy(update={"category": description})
    envelope = wrap(
        payload,
        aggregate_id=case_id,
        aggregate_version=notification_id,
        source="/test",
        subject=case_id,
        time=payload.registered_at,
        tenant="torino",
        organization="unassigned",
        traceparent=None,
    )
    await js.publish(
        "cases.torino.unassigned.received",
        envelope.to_bytes(),
        headers={
            headers.MSG_ID: msg_id or f"{envelope.id}:{notification_id}",
            headers.PRODUCER: "intake",
            headers.NOTIFICATION_ID: str(notification_id),
        },
    )


async def drain(runner: ConsumerRunner, js: JetStreamContext, timeout: float = 10.0) -> None:
    """Run the consumer until JetStream has nothing pending or unacknowledged for it."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            info = await js.consumer_info("CASES", "bustest")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
        raise AssertionError(f"consumer still busy after {timeout}s: {info}")
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"consumer": LABEL, **labels}) or 0.0


class Metrics:
    """The runner's counters as differences since this object was made."""

    NAMES = (
        ("batches", "sportello_consumer_batch_messages_count", {}),
        ("batched", "sportello_consumer_batch_messages_sum", {}),
        ("fallbacks", "sportello_consumer_batch_fallbacks_total", {}),
        ("processed", "sportello_consumer_messages_total", {"outcome": "processed"}),
        ("duplicates", "sportello_consumer_messages_total", {"outcome": "duplicate"}),
        ("retried", "sportello_consumer_messages_total", {"outcome": "retried"}),
        ("dead", "sportello_consumer_messages_total", {"outcome": "dead_lettered"}),
    )

    def __init__(self) -> None:
        self._start = self._now()

    def _now(self) -> dict[str, float]:
        return {key: metric(name, **labels) for key, name, labels in self.NAMES}

    def delta(self) -> dict[str, float]:
        now = self._now()
        return {key: now[key] - self._start[key] for key in now}


def count(app: BusTestApplication, suffix: str) -> int:
    return sum(
        1
        for n in app.recorder.select_notifications(start=1, limit=100000)
        if n.topic.endswith(suffix)
    )


# --- the recorders: many tracking rows in one transaction ---------------------------------------


def test_the_recorder_commits_many_tracking_rows_with_the_events(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication],
) -> None:
    app = make_app(BusTestApplication)
    assert app.processes_batches
    trackings = [Tracking("intake", n) for n in (5, 3, 9)]
    echo = Echo("case-1")
    app.events.put(echo.collect_events(), **{TRACKINGS: trackings})
    assert app.tracked([*trackings, Tracking("intake", 4), Tracking("sla", 5)]) == set(trackings)
    assert all(app.is_tracked(t) for t in trackings)

    # No events at all: the rows alone, still in one transaction.
    app.events.put([], **{TRACKINGS: [Tracking("intake", 10), Tracking("intake", 11)]})
    assert app.tracked([Tracking("intake", 10), Tracking("intake", 11)]) == {
        Tracking("intake", 10),
        Tracking("intake", 11),
    }

    # One row already there: the whole transaction fails, its events included.
    with pytest.raises(IntegrityError):
        app.events.put(
            Echo("case-2").collect_events(),
            **{TRACKINGS: [Tracking("intake", 12), Tracking("intake", 9)]},
        )
    assert not app.is_tracked(Tracking("intake", 12))
    assert count(app, "Echo.Seen") == 1
    with pytest.raises(IntegrityError):
        app.events.put([], **{TRACKINGS: [Tracking("intake", 13), Tracking("intake", 13)]})
    assert not app.is_tracked(Tracking("intake", 13))
    app.close()


def test_the_recorder_keeps_the_order_of_its_rows_and_reads_every_shape(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication],
) -> None:
    """Rows of several aggregates in one insert: each gets the next notification id, in the
    order given; an aggregate's events are read back whole, in ranges, newest first, limited."""
    app = make_app(BusTestApplication)
    recorder = app.recorder
    one, two = uuid5(UUID(int=1), "one"), uuid5(UUID(int=1), "two")
    rows = [
        StoredEvent(one, 1, "t:A", b"\x00one-1\\"),
        StoredEvent(two, 1, "t:B", b'two-1 "quoted"'),
        *(StoredEvent(one, v, "t:A", f"one-{v}".encode()) for v in range(2, 6)),
    ]
    ids = recorder.insert_events(rows, **{TRACKINGS: [Tracking("intake", 1)]})
    assert ids is not None and len(ids) == 6 and ids == sorted(ids)
    notes = recorder.select_notifications(start=ids[0], limit=10)
    got = [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notes]
    want = [
        (i, r.originator_id, r.originator_version, r.topic, r.state)
        for i, r in zip(ids, rows, strict=True)
    ]
    assert got == want

    def versions(**kwargs: Any) -> list[int]:
        return [e.originator_version for e in recorder.select_events(one, **kwargs)]

    assert versions() == [1, 2, 3, 4, 5]
    assert versions(gt=2) == [3, 4, 5] and versions(lte=2) == [1, 2]
    assert versions(gt=1, lte=4, desc=True) == [4, 3, 2]
    assert versions(desc=True, limit=2) == [5, 4] and versions(gt=3, limit=1) == [4]
    with pytest.raises(IntegrityError):  # version 3 of `one` again: nothing of the insert stays
        recorder.insert_events([StoredEvent(two, 2, "t:B", b""), StoredEvent(one, 3, "t:A", b"")])
    assert [e.originator_version for e in recorder.select_events(two)] == [1]
    app.close()


def test_a_batch_wakes_the_followers_after_its_commit(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication],
) -> None:
    app = make_app(BusTestApplication)
    seen: list[int] = []
    app.on_saved(lambda: seen.append(count(app, "Echo.Seen")))
    batch = [
        (Incoming(_envelope(f"case-{n}"), received(f"case-{n}")), Tracking("intake", n))
        for n in range(1, 4)
    ]
    assert app.process_batch(batch) == [None, None, None]
    assert seen == [3]  # once, and the three events were already committed
    app.close()


def _envelope(case_id: str) -> Any:
    payload = received(case_id)
    return wrap(
        payload,
        aggregate_id=case_id,
        aggregate_version=1,
        source="/test",
        subject=case_id,
        time=payload.registered_at,
        tenant="torino",
        organization="unassigned",
        traceparent=None,
    )


# --- the runner ---------------------------------------------------------------------------------


async def test_a_batch_of_distinct_cases_commits_once(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication], js: JetStreamContext
) -> None:
    app = make_app(BusTestApplication)
    writer = Writer("test")
    metrics = Metrics()
    for n in range(1, 21):
        await publish(js, f"case-{n}", n)
    await drain(ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer)), js)

    assert app.echoes() == 20
    assert metrics.delta() == {
        "batches": 1,  # one transaction ...
        "batched": 20,  # ... holding all twenty
        "fallbacks": 0,
        "processed": 20,
        "duplicates": 0,
        "retried": 0,
        "dead": 0,
    }
    assert app.tracked([Tracking("intake", n) for n in range(1, 21)]) == {
        Tracking("intake", n) for n in range(1, 21)
    }
    writer.shutdown()


@pytest.mark.parametrize("linger", [0.0, 3.0])
async def test_a_short_fetch_is_topped_up_after_the_linger_while_messages_keep_coming(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication],
    js: JetStreamContext,
    linger: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A first message, then one alone, then two more while the consumer lingers: one
    transaction for the last three (without the linger, the second is committed alone)."""
    monkeypatch.setattr(fetching, "BUSY_WINDOW", 60.0)  # however slow this machine is
    app = make_app(BusTestApplication)
    writer = Writer("test")
    await publish(js, "case-1", 1)
    spec = dataclasses.replace(SPEC, ack_wait=30)  # not redelivered while the consumer lingers
    runner = ConsumerRunner(js, spec, ApplicationProcessor(app, writer), linger=linger)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def delivered(n: int) -> bool:  # fetched by the runner (and perhaps done)
        info = await js.consumer_info("CASES", "bustest")
        return bool(info.delivered.consumer_seq == n)

    first = Metrics()
    try:
        # its commit is visible a moment before the runner counts it: wait for both
        await eventually(lambda: app.echoes() == 1 and first.delta()["processed"] == 1)
        metrics = Metrics()
        await publish(js, "case-2", 2)
        await eventually(lambda: delivered(2))
        for n in (3, 4):
            await publish(js, f"case-{n}", n)
        await eventually(lambda: app.echoes() == 4)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    batches = metrics.delta()["batches"]
    assert (batches, metrics.delta()["batched"]) == ((1, 3) if linger else (batches, 3)), (
        metrics.delta()
    )
    assert linger or batches >= 2
    writer.shutdown()


async def test_the_first_message_after_a_quiet_spell_is_not_kept_waiting(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication], js: JetStreamContext
) -> None:
    """A lone message, the consumer idle: handled at once, not a linger later."""
    app = make_app(BusTestApplication)
    writer = Writer("test")
    runner = ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer), linger=10.0)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    async def subscribed() -> bool:
        try:
            await js.consumer_info("CASES", "bustest")
        except nats.js.errors.NotFoundError:
            return False
        return True

    try:
        await eventually(subscribed)
        await asyncio.sleep(0.2)  # its first fetch under way
        published = time.monotonic()
        await publish(js, "case-1", 1)
        await eventually(lambda: app.echoes() == 1)
        assert time.monotonic() - published < 5.0
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
    writer.shutdown()


async def test_a_stop_cuts_a_consumers_linger_short(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication],
    js: JetStreamContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A background consumer lingers up to a second (CONSUMER_BACKGROUND_LINGER): a service
    stopping meanwhile does not wait it out, and what it had fetched is still handled."""
    monkeypatch.setattr(fetching, "BUSY_WINDOW", 60.0)
    app = make_app(BusTestApplication)
    writer = Writer("test")
    spec = dataclasses.replace(SPEC, ack_wait=120)
    runner = ConsumerRunner(js, spec, ApplicationProcessor(app, writer), linger=60.0)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await publish(js, "case-1", 1)
        await eventually(lambda: app.echoes() == 1)
        await publish(js, "case-2", 2)  # fetched while busy: the consumer lingers on it
        info = await js.consumer_info("CASES", "bustest")
        while info.delivered.consumer_seq < 2:
            await asyncio.sleep(0.05)
            info = await js.consumer_info("CASES", "bustest")
        await asyncio.sleep(0.2)
        assert app.echoes() == 1  # still lingering
    finally:
        stopped = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, 15)
    assert time.monotonic() - stopped < 10.0
    assert app.echoes() == 2
    writer.shutdown()


async def test_duplicates_within_and_across_batches_change_nothing(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication], js: JetStreamContext
) -> None:
    app = make_app(BusTestApplication)
    writer = Writer("test")
    runner = ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer))
    metrics = Metrics()
    await publish(js, "case-1", 1)
    await publish(js, "case-2", 2)
    # Republished after JetStream's duplicate window, in the same fetch as the original.
    await publish(js, "case-1", 1, msg_id="republished-1")
    await publish(js, "case-3", 3)
    await drain(runner, js)
    assert app.echoes() == 3

    # And again, in a later fetch: every one of them already has its tracking row.
    await publish(js, "case-2", 2, msg_id="republished-2")
    await publish(js, "case-1", 1, msg_id="republished-1b")
    await publish(js, "case-4", 4)
    await drain(runner, js)

    assert app.echoes() == 4
    delta = metrics.delta()
    # The later fetch holds first deliveries only, after a tracking query that found none: not
    # asked again (consumer.py), its duplicates fail the batch's commit on their tracking rows,
    # and the per-message path finds them (one fallback; then the query is asked again).
    assert delta["processed"] == 4 and delta["duplicates"] == 3 and delta["fallbacks"] <= 1
    writer.shutdown()


async def test_a_first_delivered_duplicate_whose_policy_now_fails_is_a_duplicate(
    make_app: Callable[[type[ScriptedApplication]], ScriptedApplication],
    scripted: type[ScriptedApplication],
    js: JetStreamContext,
) -> None:
    """Republished after the duplicate window, an event whose policy would now refuse it (the
    case moved on) is acked as the duplicate it is, not dead-lettered: a failure in a batch whose
    tracking rows were not asked is looked up first."""
    app = make_app(scripted)
    writer = Writer("test")
    runner = ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer))
    await publish(js, "case-1", 1, "count")
    await publish(js, "case-2", 2, "count")
    await drain(runner, js)  # the tracking query found none: the next fetch is not asked
    metrics = Metrics()
    await publish(js, "case-1", 1, "reject", msg_id="republished-1")
    await publish(js, "case-3", 3, "count")
    await drain(runner, js)

    delta = metrics.delta()
    assert (delta["dead"], delta["duplicates"], delta["processed"]) == (0, 1, 1)
    assert app.repository.get(Tally.create_id("torino")).count == 3
    writer.shutdown()


async def test_a_fetch_of_first_deliveries_is_not_asked_once_a_query_found_none(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication],
    js: JetStreamContext,
) -> None:
    app = make_app(BusTestApplication)
    writer = Writer("test")
    processor = ApplicationProcessor(app, writer)
    asked: list[int] = []
    tracked = processor.tracked

    async def counted(trackings: Any) -> Any:
        asked.append(len(trackings))
        return await tracked(trackings)

    processor.tracked = counted  # type: ignore[method-assign]
    runner = ConsumerRunner(js, SPEC, processor)
    for n in range(1, 4):
        await publish(js, f"case-{n}", n)
        await drain(runner, js)
    assert len(asked) == 1  # the first fetch only
    assert app.echoes() == 3
    writer.shutdown()


async def test_two_messages_of_one_case_keep_their_order(
    make_app: Callable[[type[ScriptedApplication]], ScriptedApplication],
    scripted: type[ScriptedApplication],
    js: JetStreamContext,
) -> None:
    app = make_app(scripted)
    writer = Writer("test")
    metrics = Metrics()
    for n, (case, step) in enumerate(
        [("a", "1"), ("b", "1"), ("a", "2"), ("c", "1"), ("a", "3"), ("b", "2")], start=1
    ):
        await publish(js, f"case-{case}", n, f"step {step}")
    await drain(ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer)), js)

    trails = {c: app.repository.get(Trail.create_id(f"case-{c}")).steps for c in "abc"}
    assert trails == {"a": ["1", "2", "3"], "b": ["1", "2"], "c": ["1"]}
    # a1 b1 | a2 c1 | a3 b2: a second message of a case starts the next batch.
    delta = metrics.delta()
    assert (delta["batches"], delta["batched"], delta["fallbacks"]) == (3, 6, 0)
    writer.shutdown()


async def test_a_policy_reading_what_an_earlier_message_changed_waits_for_its_commit(
    make_app: Callable[[type[ScriptedApplication]], ScriptedApplication],
    scripted: type[ScriptedApplication],
    js: JetStreamContext,
) -> None:
    """Different cases, one shared aggregate: the reader must not see the stale state."""
    app = make_app(scripted)
    writer = Writer("test")
    metrics = Metrics()
    await publish(js, "case-1", 1, "open-board")
    await publish(js, "case-2", 2, "look-at-board")  # reads only: no conflict would reveal it
    await publish(js, "case-3", 3, "echo")
    await drain(ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer)), js)

    assert app.repository.get(Seen.create_id("case-2")).board_open is True
    delta = metrics.delta()
    # case-1 and case-3 commit together; case-2 is deferred to the next batch.
    assert (delta["batches"], delta["batched"], delta["fallbacks"]) == (2, 3, 0)
    assert app.echoes() == 1
    writer.shutdown()


async def test_a_shared_aggregate_changed_by_every_message_counts_each_once(
    make_app: Callable[[type[ScriptedApplication]], ScriptedApplication],
    scripted: type[ScriptedApplication],
    js: JetStreamContext,
) -> None:
    app = make_app(scripted)
    writer = Writer("test")
    metrics = Metrics()
    for n in range(1, 6):
        await publish(js, f"case-{n}", n, "count")
    await drain(ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer)), js)

    assert app.repository.get(Tally.create_id("torino")).count == 5
    assert app.echoes() == 5
    delta = metrics.delta()
    assert delta["processed"] == 5 and delta["fallbacks"] == 0 and delta["retried"] == 0
    writer.shutdown()


@pytest.mark.parametrize("race", ["race-aggregate", "race-tracking"])
async def test_an_integrity_error_in_a_batch_falls_back_to_one_at_a_time(
    make_app: Callable[[type[ScriptedApplication]], ScriptedApplication],
    scripted: type[ScriptedApplication],
    js: JetStreamContext,
    race: str,
) -> None:
    app = make_app(scripted)
    writer = Writer("test")
    metrics = Metrics()
    await publish(js, "case-1", 1)
    await publish(js, "case-2", 2, race)
    await publish(js, "case-3", 3)
    await drain(ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer)), js)

    assert app.raced
    assert app.echoes() == 3  # one per case: nothing lost, nothing doubled
    assert app.tracked([Tracking("intake", n) for n in (1, 2, 3)]) == {
        Tracking("intake", n) for n in (1, 2, 3)
    }
    delta = metrics.delta()
    assert delta["fallbacks"] == 1 and delta["batches"] == 0 and delta["retried"] == 0
    if race == "race-tracking":  # the other replica did it: acknowledged without effect
        assert (delta["processed"], delta["duplicates"]) == (2, 1)
    else:  # the message finds the other replica's aggregate and adds nothing to it
        assert (delta["processed"], delta["duplicates"]) == (3, 0)
    writer.shutdown()


async def test_a_poison_message_in_the_middle_of_a_batch_holds_back_nothing(
    make_app: Callable[[type[ScriptedApplication]], ScriptedApplication],
    scripted: type[ScriptedApplication],
    js: JetStreamContext,
) -> None:
    app = make_app(scripted)
    writer = Writer("test")
    metrics = Metrics()
    await publish(js, "case-1", 1)
    await js.publish(
        "cases.torino.unassigned.received", b"{not json", headers={headers.MSG_ID: "poison"}
    )
    await publish(js, "case-2", 2, "reject")
    await publish(js, "case-3", 3)
    await js.publish(
        "cases.torino.unassigned.received", b"x" * (300 * 1024), headers={headers.MSG_ID: "big"}
    )
    await publish(js, "case-4", 4, "later")
    await publish(js, "case-5", 5)
    # RetryLater: nak'ed with a growing delay, then dead-lettered after max_deliver (3).
    await drain(ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer)), js, timeout=15)

    assert app.echoes() == 3
    delta = metrics.delta()
    assert delta["batches"] == 1 and delta["batched"] == 3  # cases 1, 3 and 5 together
    assert delta["processed"] == 3 and delta["dead"] == 4 and delta["retried"] == 2
    reasons = sorted(letter.reason for letter in await list_dead_letters(js, "bustest"))
    assert len(reasons) == 4
    assert any("not a CloudEvents JSON document" in r for r in reasons)
    assert any("the policy refuses it" in r for r in reasons)
    assert any("over the 262144-byte limit" in r for r in reasons)
    assert any("gave up after 3 deliveries: waits for an event" in r for r in reasons)
    assert not app.tracked([Tracking("intake", 2), Tracking("intake", 4)])
    writer.shutdown()


class LosesFirstAck(ConsumerRunner):
    """The process dies between the commit and the ack: JetStream redelivers after ack_wait."""

    lost = 0

    async def _ack(self, msg: Any, outcome: str) -> None:
        if outcome == "processed" and self.lost == 0:
            self.lost += 1
            return
        await super()._ack(msg, outcome)


async def test_a_batch_redelivered_after_its_commit_changes_nothing(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication], js: JetStreamContext
) -> None:
    app = make_app(BusTestApplication)
    writer = Writer("test")
    metrics = Metrics()
    runner = LosesFirstAck(js, SPEC, ApplicationProcessor(app, writer))
    for n in range(1, 4):
        await publish(js, f"case-{n}", n)
    await drain(runner, js, timeout=10)

    assert runner.lost == 1
    assert app.echoes() == 3
    delta = metrics.delta()
    assert delta["duplicates"] == 1 and delta["batches"] == 1 and delta["batched"] == 3
    writer.shutdown()


class OrphaningRunner(ConsumerRunner):
    """Leaves a pull request open at the server behind each fetch, as a fetch does when its
    client gives up a moment before the server's expiry (CI saw a message wait `ack_wait` so)."""

    async def _fetch(self, subscription: JetStreamContext.PullSubscription) -> list[Any]:
        orphan = json.dumps({"batch": 10, "expires": 60_000_000_000}).encode()
        await self._js._nc.publish(subscription._nms, orphan, subscription._deliver)
        return await super()._fetch(subscription)


async def test_a_stopped_runner_leaves_no_pull_request_to_take_the_next_message(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication], js: JetStreamContext
) -> None:
    app = make_app(BusTestApplication)
    writer = Writer("test")
    spec = dataclasses.replace(SPEC, ack_wait=30)  # a message taken by the orphan waits 30 s
    await publish(js, "case-1", 1)
    await drain(OrphaningRunner(js, spec, ApplicationProcessor(app, writer)), js)
    await publish(js, "case-2", 2)
    await drain(ConsumerRunner(js, spec, ApplicationProcessor(app, writer)), js, timeout=5.0)
    assert app.echoes() == 2
    writer.shutdown()


async def test_a_prefetching_batch_reads_its_aggregates_in_one_query(
    make_app: Callable[[type[ScriptedApplication]], ScriptedApplication],
    js: JetStreamContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten cases' trails, each read and extended: one query for the batch, none per trail."""
    app = make_app(PrefetchingScriptedApplication)
    writer = Writer("test")
    runner = ConsumerRunner(js, SPEC, ApplicationProcessor(app, writer))
    cases = [f"case-{n}" for n in range(10)]
    for n, case in enumerate(cases, start=1):
        await publish(js, case, n, "step a")
    await drain(runner, js)
    single, many = [], []
    recorder = app.recorder
    select_events, select_events_of = recorder.select_events, recorder.select_events_of  # type: ignore[attr-defined]
    monkeypatch.setattr(
        recorder, "select_events", lambda i, **kw: single.append(i) or select_events(i, **kw)
    )
    monkeypatch.setattr(
        recorder, "select_events_of", lambda ids: many.append(ids) or select_events_of(ids)
    )
    for n, case in enumerate(cases, start=11):
        await publish(js, case, n, "step b")
    await drain(runner, js)
    monkeypatch.undo()

    trails = {Trail.create_id(case) for case in cases}
    assert len(many) == 1 and trails <= set(many[0]), many  # the whole batch, one query
    assert not trails & set(single), single  # and no trail read on its own
    for case in cases:
        assert app.repository.get(Trail.create_id(case)).steps == ["a", "b"]
    writer.shutdown()


def test_a_duplicate_tracking_row_is_an_integrity_error_every_time(
    make_app: Callable[[type[BusTestApplication]], BusTestApplication],
) -> None:
    """Never "pipeline aborted" (an OperationalError, which the consumer retries as an outage):
    left to the events' own sync, PostgreSQL's pipeline gave that about once in a hundred."""
    app = make_app(BusTestApplication)
    app.events.put([], **{TRACKINGS: [Tracking("intake", 1)]})
    outcomes = []
    for n in range(300):
        again = [Tracking("intake", 1000 + n), Tracking("intake", 1)]
        try:
            app.events.put(Echo(f"case-{n}").collect_events(), **{TRACKINGS: again})
        except IntegrityError:
            outcomes.append("integrity")
        except OperationalError as error:
            outcomes.append(f"operational: {error}")
    assert set(outcomes) == {"integrity"}, [o for o in outcomes if o != "integrity"][:3]
    assert count(app, "Echo.Seen") == 0
    app.close()
