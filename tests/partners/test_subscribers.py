"""The example subscribers of docs/partners.md, run as the partner would run them: they receive the
partner's events as they are published, and resume after a restart from where they acked."""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from sportello_contracts import CloudEvent, parse_payload
from sportello_contracts.ingest import CaseStatusReported, ReportedStatus
from sportello_shared.partners import API_PREFIX

from .conftest import (
    EXAMPLES,
    REPO,
    Bus,
    CaseEvents,
    connect_services,
    consumer_state,
    pull_requests_waiting,
)

NODE = shutil.which("node") or "/usr/bin/node"
PROGRAMS: dict[str, Callable[[Path], list[str]]] = {
    "python": lambda creds: [
        sys.executable,
        str(EXAMPLES / "partner-python" / "subscriber.py"),
        str(creds),
    ],
    "javascript": lambda creds: [NODE, str(EXAMPLES / "partner-js" / "subscriber.mjs"), str(creds)],
}
# The examples' long poll: Python's `fetch(batch=50, timeout=30)`, JavaScript's `consume` (30 s).
FETCH_EXPIRES = 30
# A sanity bound only: the figures measured go to the report, not into assertions.
WITHIN = 1.0


class Subscriber:
    """One run of an example program; each stdout line is an event it handled and acked."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.arrivals: list[tuple[float, str]] = []

    async def next_line(self, timeout: float = 15.0) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not raw:
            stderr = await self.process.stderr.read() if self.process.stderr else b""
            raise AssertionError(f"subscriber exited: {stderr.decode()[-2000:]}")
        line = raw.decode().strip()
        self.arrivals.append((time.perf_counter(), line))
        return line

    async def lines(self, n: int) -> list[str]:
        return [await self.next_line() for _ in range(n)]

    def kill(self) -> None:
        self.process.kill()


@asynccontextmanager
async def running(program: str, bus: Bus, *extra: str) -> AsyncIterator[Subscriber]:
    credentials = bus.credentials(bus.partner("pisamo"))
    process = await asyncio.create_subprocess_exec(
        *PROGRAMS[program](credentials),
        *extra,
        cwd=REPO,  # node finds @nats-io/* in the repository's node_modules
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    subscriber = Subscriber(process)
    try:
        yield subscriber
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def connected(bus: Bus, partner_consumer: str) -> None:
    """Until the subscriber's pull request is waiting on its consumer (it is then listening)."""
    services = await connect_services(bus)
    try:
        for _ in range(300):
            info = await services.jetstream().consumer_info("CASES", partner_consumer)
            if info.num_waiting:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the subscriber never opened a pull request")
    finally:
        await services.close()


def ids(lines: list[str]) -> list[str]:
    return [json.loads(line)["id"] for line in lines]


@pytest.mark.parametrize("program", PROGRAMS)
async def test_the_example_resumes_after_a_restart_from_where_it_acked(
    bus: Bus, case_events: CaseEvents, program: str
) -> None:
    pisamo = bus.partner("pisamo")
    before = await case_events.journey("pisa", "pisamo")
    await case_events.journey("pisa", "sepi")

    async with running(program, bus) as subscriber:
        assert ids(await subscriber.lines(3)) == before
        subscriber.kill()  # no goodbye: acks already confirmed are all the server has
    # a new event must not go to the dead client's long poll (it would wait there for ack_wait):
    # the server drops it when it notices the closed connection, at the latest when the
    # example's 30 s fetch expires
    deadline = time.monotonic() + FETCH_EXPIRES + 10
    while await pull_requests_waiting(bus, pisamo):
        assert time.monotonic() < deadline, "the dead client's pull request never expired"
        await asyncio.sleep(0.05)

    after = await case_events.journey("pisa", "pisamo")
    await case_events.journey("pisa", "farmacie-comunali")
    assert await consumer_state(bus, pisamo) == (3, 0)

    async with running(program, bus) as subscriber:
        assert ids(await subscriber.lines(3)) == after, "only the new ones, none again"
        deadline = time.monotonic() + 10  # its acks are asynchronous: a busy machine is slow
        while time.monotonic() < deadline:
            if await consumer_state(bus, pisamo) == (0, 0):
                break
            await asyncio.sleep(0.02)
    assert await consumer_state(bus, pisamo) == (0, 0)


@pytest.mark.parametrize("program", PROGRAMS)
async def test_the_example_gets_each_event_within_a_second(
    bus: Bus, case_events: CaseEvents, program: str, capsys: pytest.CaptureFixture[str]
) -> None:
    latencies: list[float] = []
    async with running(program, bus) as subscriber:
        await connected(bus, bus.partner("pisamo").consumer)
        for _ in range(20):
            published = time.perf_counter()
            event_id = await case_events.publish_one("pisa", "pisamo")
            line = await subscriber.next_line(timeout=5)
            latencies.append(subscriber.arrivals[-1][0] - published)
            assert json.loads(line)["id"] == event_id
            await asyncio.sleep(0.05)  # one at a time, as cases come: nothing batched

    report(capsys, f"{program} example subscriber", latencies)
    assert max(latencies) < WITHIN


async def test_a_partner_connection_gets_each_event_within_a_second(
    bus: Bus, case_events: CaseEvents, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same measure without the subprocess pipe: publish → the partner's long-poll."""
    pisamo = bus.partner("pisamo")
    nc = await nats.connect(bus.url, user=pisamo.user, password=bus.password(pisamo))
    js = nc.jetstream(prefix=API_PREFIX)
    subscription = await js.pull_subscribe_bind(pisamo.consumer, stream="CASES")
    latencies: list[float] = []
    try:
        for _ in range(100):
            fetching = asyncio.create_task(subscription.fetch(batch=50, timeout=5))
            await connected(bus, pisamo.consumer)
            published = time.perf_counter()
            await case_events.publish_one("pisa", "pisamo")
            messages = await fetching
            latencies.append(time.perf_counter() - published)
            for message in messages:
                await message.ack_sync()
    finally:
        await nc.close()

    report(capsys, "nats-py long-poll, in process", latencies)
    assert max(latencies) < WITHIN


def report(capsys: pytest.CaptureFixture[str], what: str, latencies: list[float]) -> None:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(len(ms) * 0.95) - 1]
    with capsys.disabled():
        print(  # noqa: T201 - the measured figure belongs in the test output
            f"\n[latency] {what}: n={len(ms)} median={statistics.median(ms):.1f} ms "
            f"p95={p95:.1f} ms max={ms[-1]:.1f} ms"
        )


@pytest.mark.parametrize("program", PROGRAMS)
async def test_the_example_reports_taking_a_case_in_charge(
    bus: Bus, case_events: CaseEvents, program: str
) -> None:
    assigned, *_ = await case_events.journey("pisa", "pisamo")

    async with running(program, bus, "--take-in-charge") as subscriber:
        await subscriber.lines(3)

    services = await connect_services(bus)
    try:
        message = await services.jetstream().get_last_msg("INGEST", "ingest.pisa.pisamo")
    finally:
        await services.close()
    report_event = CloudEvent.from_bytes(message.data or b"")
    payload = parse_payload(report_event)
    assert isinstance(payload, CaseStatusReported)
    assert payload.status is ReportedStatus.TAKEN_IN_CHARGE
    assert payload.case_id == report_event.subject
    assert (report_event.tenant, report_event.organization) == ("pisa", "pisamo")
    assert report_event.id == f"{assigned}:taken_in_charge"


@pytest.mark.parametrize("program", PROGRAMS)
async def test_the_example_fetches_the_dossier_of_a_case_handed_over_to_it(
    bus: Bus, case_events: CaseEvents, program: str
) -> None:
    """The event names no citizen; the example asks on its own subject (its account may publish
    only there), as Sportello's intake answers it, and can then reach the citizen."""
    from uuid import uuid4

    from sportello_contracts.cases import CaseHandedOver
    from sportello_contracts.personal import PersonalAnswer, PersonalRequest

    case_id = str(uuid4())
    asked: list[str] = []
    services = await connect_services(bus)

    async def intake(msg: nats.aio.msg.Msg) -> None:  # intake's side, in the services' account
        asked.append(msg.subject)
        request = PersonalRequest.model_validate_json(msg.data)
        answer = PersonalAnswer(
            case_id=request.case_id,
            reference="PI-2026-000043",
            tenant="pisa",
            organization="pisamo",
            citizen={"name": "Giulia Bianchi", "phone": "050 123456"},
            description="Parcometro guasto",
        )
        await msg.respond(answer.model_dump_json(exclude_none=True).encode())

    await services.subscribe("personal.pisa.*", cb=intake)
    handed = CaseHandedOver(
        case_id=case_id,
        reference="PI-2026-000043",
        occurred_at=datetime.now(UTC),
        organization="pisamo",
        kind="reclamo",
        channel="phone",
        category="parcheggi",
        received_at=datetime.now(UTC),
    )
    try:
        await case_events.publish("pisa", "pisamo", handed)
        async with running(program, bus, "--max", "1") as subscriber:
            [line] = await subscriber.lines(1)
    finally:
        await services.close()
    printed = json.loads(line)
    assert printed["type"] == "it.sportello.case.handed_over.v2"
    assert printed["dossier"] == {
        "reference": "PI-2026-000043",
        "can_reach_citizen": True,
        "error": None,
    }
    assert asked == ["personal.pisa.pisamo"]
