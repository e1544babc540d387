"""Fault-test harness: a cluster, a stream of cases, faults, and the audit of what survived.

Each scenario registers cases through intake (with an Idempotency-Key, retried on another replica
whenever a request fails), injects its faults while the cases flow, then compares what the client
was acknowledged with what ended in every service and in the mail sink:

- intake: every acknowledged case is stored and carries routing's decision (`assigned`);
- the CASES stream: exactly one `case.received` and one `case.assigned` per case (two distinct
  `assigned` events would be a double effect of routing);
- sla-svc: the case's clocks exist, each standard once;
- the mail sink: for every case, as many distinct Message-IDs as for a case that met no fault;
  raw re-sends of one Message-ID (a crash between the SMTP accept and its record) are counted
  separately.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import json
import os
import random
import re
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from psycopg import sql
from sportello_contracts.cases import CaseAssigned, CaseReceived
from sportello_devstack.cluster import Cluster, NatsCluster
from sportello_devstack.natsserver import free_port
from sportello_devstack.stack import SERVICES

REPORTS: list[FaultReport] = []
SERVICE_ENV = {"RELAY_POLL_INTERVAL": "0.05", "SLA_SWEEP_INTERVAL": "1", "LOG_LEVEL": "WARNING"}
ASSIGNED = CaseAssigned.event_type()  # the contract's current versions
RECEIVED = CaseReceived.event_type()
Faults = Callable[["Load"], Awaitable[list[str]]]
NO_RETRY_AFTER = "503 without Retry-After"
SLOW = 6.0  # STORE_WAIT_S (5 s) plus a second: the bound of issue 25


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: kills, pauses and restarts processes (make test-faults)"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORTS:
        terminalreporter.section("fault tests: acknowledged vs. what every service holds")
        for report in REPORTS:
            terminalreporter.write_line(report.line())


def cases_per_run(default: int) -> int:
    """FAULT_CASES sets the size of every run (the default fits the CI time bound)."""
    return int(os.environ.get("FAULT_CASES", default))


def fault_random(name: str) -> random.Random:
    """Random moments, reproducible: the seed is printed and FAULT_SEED replays it."""
    seed = int(os.environ.get("FAULT_SEED", random.randrange(1_000_000)))
    sys.stdout.write(f"{name}: FAULT_SEED={seed}\n")
    return random.Random(seed)


# -- the topology -----------------------------------------------------------------------------


@contextlib.contextmanager
def service_schemas(database_url: str) -> Iterator[str]:
    """A schema per service, created for this test and dropped afterwards; yields the prefix."""
    prefix = f"f{uuid.uuid4().hex[:8]}_"
    with psycopg.connect(database_url, autocommit=True) as conn:
        for service in SERVICES:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(prefix + service)))
    try:
        yield prefix
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            for service in SERVICES:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                        sql.Identifier(prefix + service)
                    )
                )


@contextlib.contextmanager
def running_cluster(
    directory: Path, database_url: str, replicas: int, staged: bool = True
) -> Iterator[Cluster]:
    with service_schemas(database_url) as prefix:
        cluster = Cluster(
            directory,
            NatsCluster.on_free_ports(directory / "nats"),
            database_url,
            schema_prefix=prefix,
            replicas=replicas,
            smtp_port=free_port(),
            extra_env=dict(SERVICE_ENV),
        )
        try:
            cluster.start(timeout=180, staged=staged)
            yield cluster
        finally:
            cluster.stop()


async def restart(cluster: Cluster, replica: Any) -> None:
    cluster.start_replica(replica)
    await asyncio.to_thread(cluster.wait_ready, 120.0, [replica])


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Ack:
    case_id: str
    reference: str


@dataclass
class Load:
    """Registers `total` cases; a case counts as acknowledged once intake answered 201 or 200."""

    cluster: Cluster
    label: str
    total: int
    concurrency: int = 12
    give_up_after: float = 240.0
    sent: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    acknowledged: dict[int, Ack] = field(default_factory=dict)
    replayed: int = 0
    abandoned: int = 0
    slowest: float = 0.0  # the longest any one request waited for its answer (or its error)
    slow: list[str] = field(default_factory=list)  # answers after more than SLOW seconds
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def citizen(self, index: int) -> str:
        return f"{self.label}-{index}@example.org"

    def body(self, index: int) -> dict[str, Any]:
        return {
            "tenant": "pisa",
            "kind": "reclamo",
            "channel": "phone",
            "category": "parcheggi",
            "description": f"Il parcometro n. {index} non accetta monete",
            "citizen": {"name": "Giulia Bianchi", "email": self.citizen(index)},
        }

    async def run(self) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(self.total):
            queue.put_nowait(index)
        limits = httpx.Limits(max_keepalive_connections=0)  # no stale sockets after a kill
        async with httpx.AsyncClient(timeout=15, limits=limits) as client:
            workers = [self._worker(client, queue) for _ in range(self.concurrency)]
            await asyncio.gather(*workers)
        self.done.set()

    async def _worker(self, client: httpx.AsyncClient, queue: asyncio.Queue[int]) -> None:
        while not queue.empty():
            await self._register(client, queue.get_nowait())

    async def _register(self, client: httpx.AsyncClient, index: int) -> None:
        deadline = time.monotonic() + self.give_up_after
        urls = self.cluster.urls("intake")
        attempt = 0
        while time.monotonic() < deadline:
            url = urls[(index + attempt) % len(urls)]
            attempt += 1
            self.sent += 1
            started = time.monotonic()
            try:
                response = await client.post(
                    f"{url}/cases",
                    json=self.body(index),
                    headers={"Idempotency-Key": f"{self.label}-{index}"},
                )
            except httpx.HTTPError as exc:
                self._took(time.monotonic() - started, url, type(exc).__name__)
                self.refused[type(exc).__name__] += 1
            else:
                self._took(time.monotonic() - started, url, str(response.status_code))
                if response.status_code in (200, 201):
                    case = response.json()
                    self.acknowledged[index] = Ack(case["case_id"], case["reference"])
                    self.replayed += response.status_code == 200
                    return
                assert response.status_code >= 500, response.text  # a 4xx is our bug
                self.refused[str(response.status_code)] += 1
                if response.status_code == 503 and not response.headers.get("retry-after"):
                    self.refused[NO_RETRY_AFTER] += 1  # a client could not know when to retry
            await asyncio.sleep(min(0.05 * attempt, 1.0))
        self.abandoned += 1

    def _took(self, seconds: float, url: str, outcome: str) -> None:
        self.slowest = max(self.slowest, seconds)
        if seconds > SLOW:
            at = time.strftime("%H:%M:%S")
            self.slow.append(f"{outcome} from {url} after {seconds:.1f}s at {at}")


# -- the audit --------------------------------------------------------------------------------


@dataclass
class BusView:
    """Distinct event ids per case and type in the CASES stream, and raw repeats of an id."""

    events: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    repeated_ids: int = 0


async def read_cases_stream(urls: list[str], attempts: int = 10) -> BusView:
    """The whole CASES stream through a throw-away consumer; retried while the cluster heals."""
    for attempt in range(attempts):
        try:
            return await _read_cases_stream(urls)
        except (nats.errors.Error, TimeoutError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


async def _read_cases_stream(urls: list[str]) -> BusView:
    view = BusView()
    seen: set[str] = set()
    nc = await nats.connect(servers=urls, connect_timeout=5, max_reconnect_attempts=5)
    try:
        js = nc.jetstream(timeout=10)
        config = ConsumerConfig(
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            inactive_threshold=30.0,
            num_replicas=1,
            mem_storage=True,
        )
        subscription = await js.pull_subscribe("cases.>", stream="CASES", config=config)
        while True:
            try:
                messages = await subscription.fetch(1000, timeout=2)
            except nats.errors.TimeoutError:
                break
            for msg in messages:
                event = json.loads(msg.data)
                if event["id"] in seen:
                    view.repeated_ids += 1
                seen.add(event["id"])
                view.events[event["subject"]][event["type"]].add(event["id"])
            if messages and messages[-1].metadata.num_pending == 0:
                break
        await subscription.unsubscribe()
    finally:
        await nc.close()
    return view


class MailBox:
    """The sink's .eml files, parsed once each: distinct Message-IDs and raw copies per case."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._parsed: dict[str, tuple[str, str]] = {}

    def scan(self) -> list[tuple[str, str]]:
        """(Message-ID, everything a reference could appear in) for every mail so far."""
        for path in sorted(self._directory.glob("*.eml")):
            if path.name not in self._parsed:
                message = message_from_bytes(path.read_bytes(), policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                body = message.get_body(preferencelist=("plain",))
                content = body.get_content() if isinstance(body, EmailMessage) else ""
                text = f"{message['To']} {message['Subject']} {content}"
                self._parsed[path.name] = (str(message["Message-ID"]), text)
        return list(self._parsed.values())

    def by_case(self, load: Load) -> tuple[dict[str, set[str]], dict[str, int]]:
        """Distinct Message-IDs and raw mail counts per case, found by citizen or reference."""
        keys = {load.citizen(i): ack.case_id for i, ack in load.acknowledged.items()}
        keys |= {ack.reference: ack.case_id for ack in load.acknowledged.values()}
        # candidates found by shape, then looked up: a substring test of every key against
        # every mail (cases by mails, every 2 s) took the CPU the system under test needed
        shapes = re.compile(rf"{re.escape(load.label)}-\d+@example\.org|[A-Z]{{2,}}-\d{{4}}-\d+")
        distinct: dict[str, set[str]] = defaultdict(set)
        raw: Counter[str] = Counter()
        for message_id, text in self.scan():
            found = {keys[key] for key in shapes.findall(text) if key in keys}
            for case_id in found:
                distinct[case_id].add(message_id)
                raw[case_id] += 1
        return distinct, raw


@dataclass
class FaultReport:
    scenario: str
    faults: list[str]
    sent: int = 0
    acknowledged: int = 0
    replayed: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    abandoned: int = 0
    stored: int = 0
    routed: int = 0
    clocked: int = 0
    mailed: int = 0
    mails_expected_per_case: int = 0
    mails_distinct: int = 0
    mails_raw: int = 0
    stream_repeats: int = 0
    double_effects: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    through_s: float = 0.0  # from the end of the load until every case went all the way through
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.acknowledged - min(self.stored, self.routed, self.clocked, self.mailed)

    def line(self) -> str:
        refused = sum(self.refused.values())
        extra = "".join(f", {k} {v}" for k, v in self.extra.items())
        return (
            f"{self.scenario}: sent {self.sent} (refused {refused}: {dict(self.refused)}), "
            f"acknowledged {self.acknowledged} (replayed {self.replayed}), "
            f"abandoned {self.abandoned}, stored {self.stored}, routed {self.routed}, "
            f"clocks {self.clocked}, mails {self.mails_distinct} distinct Message-IDs "
            f"({self.mails_expected_per_case}/case, {self.mailed} cases complete) "
            f"+ {self.mails_raw - self.mails_distinct} raw re-sends, "
            f"stream repeats {self.stream_repeats}, double effects {self.double_effects}, "
            f"lost {self.lost}{extra}; {self.seconds:.0f}s; faults: {'; '.join(self.faults)}"
        )


async def _get_json(client: httpx.AsyncClient, urls: list[str], path: str) -> Any:
    for attempt in range(20):
        try:
            response = await client.get(f"{urls[attempt % len(urls)]}{path}")
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
            continue
        if response.status_code == 404:
            return None
        if response.status_code == 200:
            return response.json()
        await asyncio.sleep(0.5)
    raise AssertionError(f"no answer for {path}")


async def _service_views(cluster: Cluster, load: Load) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each acknowledged case as intake has it, and its clocks as sla-svc has them."""
    semaphore = asyncio.Semaphore(16)
    cases: dict[str, Any] = {}
    clocks: dict[str, Any] = {}

    async with httpx.AsyncClient(timeout=10) as client:

        async def fetch(case_id: str) -> None:
            async with semaphore:
                cases[case_id] = await _get_json(
                    client, cluster.urls("intake"), f"/cases/{case_id}"
                )
                clocks[case_id] = await _get_json(
                    client, cluster.urls("sla"), f"/cases/{case_id}/clocks"
                )

        await asyncio.gather(*(fetch(a.case_id) for a in load.acknowledged.values()))
    return cases, clocks


async def audit(
    cluster: Cluster,
    load: Load,
    mailbox: MailBox,
    report: FaultReport,
    mails_per_case: int | None,
    timeout: float = 180.0,
) -> FaultReport:
    """Wait until every acknowledged case went all the way through, then count everything."""
    case_ids = {ack.case_id for ack in load.acknowledged.values()}
    deadline = time.monotonic() + timeout
    while True:
        bus = await read_cases_stream(cluster.nats.urls)
        distinct, raw = mailbox.by_case(load)
        expected = mails_per_case or max((len(v) for v in distinct.values()), default=0)
        routed = {c for c in case_ids if bus.events[c][ASSIGNED]}
        mailed = {c for c in case_ids if len(distinct[c]) >= expected > 0}
        if routed == case_ids and mailed == case_ids:
            # The bus is complete; the files may still wait for a redelivery (ack_wait, 30 s)
            # of what a killed replica had fetched: wait for them too, within the deadline.
            cases, clocks = await _service_views(cluster, load)
            if all((cases.get(c) or {}).get("organization") and clocks.get(c) for c in case_ids):
                break
        if time.monotonic() > deadline:
            cases, clocks = await _service_views(cluster, load)
            break
        await asyncio.sleep(2.0)
    report.through_s = timeout - (deadline - time.monotonic())
    await asyncio.sleep(3.0)  # a late duplicate (mail, event) would show up by now
    bus = await read_cases_stream(cluster.nats.urls)
    distinct, raw = mailbox.by_case(load)

    report.sent, report.acknowledged = load.sent, len(load.acknowledged)
    report.replayed, report.refused, report.abandoned = (
        load.replayed,
        dict(load.refused),
        load.abandoned,
    )
    report.extra["slowest answer"] = f"{load.slowest:.1f}s"
    if load.slow:
        report.extra[f"answers after more than {SLOW:g}s"] = load.slow[:5]
    report.stored = sum(1 for c in case_ids if cases.get(c))
    report.routed = sum(
        1
        for c in case_ids
        if cases.get(c) and cases[c].get("organization") and bus.events[c][ASSIGNED]
    )
    report.clocked = sum(1 for c in case_ids if clocks.get(c))
    report.mails_expected_per_case = expected
    report.mailed = sum(1 for c in case_ids if len(distinct[c]) == expected)
    report.mails_distinct = sum(len(distinct[c]) for c in case_ids)
    report.mails_raw = sum(raw[c] for c in case_ids)
    report.stream_repeats = bus.repeated_ids
    doubles = [
        c for c in case_ids if len(bus.events[c][ASSIGNED]) > 1 or len(bus.events[c][RECEIVED]) > 1
    ]
    doubles += [c for c in case_ids if len(distinct[c]) > expected]
    doubles += [c for c in case_ids if clocks.get(c) and _repeated_standards(clocks[c])]
    report.double_effects = len(doubles)
    report.problems = _problems(case_ids, cases, clocks, bus, distinct, expected)[:10]
    return report


def _repeated_standards(clocks: list[dict[str, Any]]) -> bool:
    standards = [clock.get("standard") for clock in clocks]
    return len(standards) != len(set(standards))


def _problems(
    case_ids: set[str],
    cases: dict[str, Any],
    clocks: dict[str, Any],
    bus: BusView,
    distinct: dict[str, set[str]],
    expected: int,
) -> list[str]:
    problems = []
    for case_id in sorted(case_ids):
        case = cases.get(case_id) or {}
        facts: dict[str, Any] = {
            "status": case.get("status"),
            "received": len(bus.events[case_id][RECEIVED]),
            "assigned": len(bus.events[case_id][ASSIGNED]),
            "clocks": len(clocks.get(case_id) or []),
            "mails": len(distinct[case_id]),
        }
        ok = (
            facts["received"] == facts["assigned"] == 1
            and facts["clocks"] > 0
            and facts["mails"] == expected
            and case.get("organization")
        )
        if not ok:
            problems.append(f"{case_id} {facts}")
    return problems


async def run_scenario(
    cluster: Cluster, name: str, total: int, faults: Faults, mails_per_case: int | None
) -> FaultReport:
    """Cases flow while `faults` run; then the audit. The report is printed and kept."""
    started = time.monotonic()
    load = Load(cluster, f"{name}-{uuid.uuid4().hex[:6]}", total)
    load_task = asyncio.create_task(load.run())
    try:
        fault_log = await faults(load)
        faults_done = time.monotonic() - started
    finally:
        await load_task
    load_done = time.monotonic() - started
    report = FaultReport(name, fault_log)
    await audit(cluster, load, MailBox(cluster.mail_dir), report, mails_per_case)
    report.seconds = time.monotonic() - started
    # where the scenario's time went (the suite's length is mostly these phases)
    report.extra["phases"] = (
        f"faults {faults_done:.0f}s, load {load_done:.0f}s, "
        f"through {report.through_s:.0f}s after the load, audit to end {report.seconds:.0f}s"
    )
    REPORTS.append(report)
    sys.stdout.write(report.line() + "\n")
    for problem in report.problems:
        sys.stdout.write(f"   {problem}\n")
    return report


async def calibrate(cluster: Cluster) -> int:
    """Mails per case when nothing goes wrong: the yardstick for 'exactly one per trigger'."""

    async def no_faults(_: Load) -> list[str]:
        return []

    report = await run_scenario(cluster, "baseline", 5, no_faults, None)
    assert_nothing_lost(report)
    return report.mails_expected_per_case


def assert_nothing_lost(report: FaultReport) -> None:
    assert report.abandoned == 0, report.line()
    assert report.acknowledged > 0, report.line()
    assert report.mails_expected_per_case >= 1, report.line()
    assert report.problems == [], report.problems
    assert report.stored == report.acknowledged, report.line()
    assert report.routed == report.acknowledged, report.line()
    assert report.clocked == report.acknowledged, report.line()
    assert report.mailed == report.acknowledged, report.line()
    assert report.double_effects == 0, report.line()
    assert report.stream_repeats == 0, report.line()


async def wait_until(load: Load, share: float) -> None:
    """Until `share` of the cases were acknowledged (or the load is over)."""
    while len(load.acknowledged) < share * load.total and not load.done.is_set():
        await asyncio.sleep(0.1)
