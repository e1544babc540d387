"""End to end, sla-svc among the four services as processes, on real NATS (and PostgreSQL when
DATABASE_URL is set): deadlines of backdated cases, a breach on time, and a replay after a kill."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg
import pytest
from psycopg import sql
from sportello_contracts import CloudEvent
from sportello_devstack.pytest_plugin import DEFAULT_DATABASE_URL
from sportello_devstack.stack import Stack
from sportello_devstack.testing import eventually_sync as eventually
from sportello_devstack.testing import status_of
from sportello_sla.adapters.policy_files import load_catalogue

pytestmark = pytest.mark.e2e
PISA = load_catalogue(Path("deploy/tenants"))["pisa"]


class SlaOnPostgres(Stack):
    """The stack with sla-svc's store in a PostgreSQL schema of its own (the others on SQLite)."""

    sla_store: dict[str, str] = {}

    def service_env(self, name: str) -> dict[str, str]:
        env = super().service_env(name)
        return env | self.sla_store if name == "sla" else env


@pytest.fixture(scope="module")
def sla_store() -> Iterator[dict[str, str]]:
    """A fresh schema on the local PostgreSQL when it runs, else sla-svc stays on SQLite."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError:
        yield {}
        return
    schema = f"e2e_sla_{uuid.uuid4().hex[:8]}"
    yield {"DATABASE_URL": url, "DATABASE_SCHEMA": schema}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sla_store: dict[str, str]) -> Iterator[Stack]:
    running = SlaOnPostgres.on_free_ports(
        tmp_path_factory.mktemp("sla-stack"),
        extra_env={"RELAY_POLL_INTERVAL": "0.05", "SLA_SWEEP_INTERVAL": "0.2"},
    )
    assert isinstance(running, SlaOnPostgres)
    running.sla_store = sla_store
    running.start()
    yield running
    running.stop()


def register(stack: Stack, tenant: str, received_at: datetime, **changes: Any) -> str:
    body = {
        "tenant": tenant,
        "kind": "segnalazione",
        "channel": "phone",
        "category": {"torino": "decoro_pulizia", "pisa": "segnalazioni"}[tenant],
        "description": "Segnalazione lasciata in segreteria",
        "citizen": {"name": "Anna Verdi", "phone": "+39 050 123456"},
        "received_at": received_at.isoformat(),
        # needed only past the tenant's 30-day window, harmless within it
        "late_entry_reason": "segnalazione cartacea registrata in ritardo",
    } | changes
    response = httpx.post(f"{stack.url('intake')}/cases", json=body, timeout=10)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def clocks(stack: Stack, case_id: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{stack.url('sla')}/cases/{case_id}/clocks", timeout=10)
    return {clock["standard"]: clock for clock in response.json()}


def test_backdated_cases_show_their_deadlines_and_statuses(stack: Stack) -> None:
    """A case typed in within the tenant's window keeps its receipt time (its 24 hours may
    already have run out); a late entry (a 2025 voicemail typed in today, with its reason)
    starts its clocks at the registration: no clock is born breached (docs/door-rules.md).
    The calendars' holidays are checked date by date in sla's unit tests."""
    now = datetime.now(UTC)
    received = now - timedelta(days=10)
    pisa = register(stack, "pisa", received, channel="voicemail")
    expected = {
        standard: PISA.rule_in_force(standard, received).deadline(received)
        for standard in ("callback_24h", "answer_30d")
    }
    found = eventually(lambda: len(c := clocks(stack, pisa)) == 2 and c)
    assert {s: datetime.fromisoformat(c["deadline"]) for s, c in found.items()} == expected
    assert expected["callback_24h"] < now  # ten days ago: its callback is overdue
    eventually(lambda: status_of(clocks(stack, pisa), "callback_24h") == "breached")

    late = register(
        stack,
        "torino",
        datetime.fromisoformat("2025-06-19T10:00:00+02:00"),
        kind="reclamo",
        channel="voicemail",
    )
    found = eventually(lambda: len(c := clocks(stack, late)) == 3 and c)
    assert set(found) == {"first_contact_5wd", "complaint_answer_30d", "voicemail_callback_24h"}
    for clock in found.values():
        assert datetime.fromisoformat(clock["started_at"]) >= now - timedelta(minutes=1), clock
        assert datetime.fromisoformat(clock["deadline"]) > now, clock
    time.sleep(1.0)  # a few sweeps (0.2 s): still nothing breached
    assert {c["status"] for c in clocks(stack, late).values()} == {"running"}
    # intake's Open311 expected_datetime comes from sla's deadline_set
    case = eventually(
        lambda: (
            (c := httpx.get(f"{stack.url('intake')}/cases/{pisa}").json()).get("expected_at") and c
        )
    )
    assert datetime.fromisoformat(case["expected_at"]) == min(expected.values())


def start_for(deadline: datetime) -> datetime:
    """The receipt time whose Pisa callback is due at `deadline` (the arithmetic is monotonic)."""
    rule = PISA.rule_in_force("callback_24h", deadline)
    low, high = deadline - timedelta(days=20), deadline
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        low, high = (middle, high) if rule.deadline(middle) < deadline else (low, middle)
    return high


async def breached_message(nats_url: str, case_id: str, timeout: float = 20.0) -> Any:
    nc = await nats.connect(servers=[nats_url])
    try:
        js = nc.jetstream()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            last = (await js.stream_info("SLA")).state.last_seq
            for seq in range(1, last + 1):
                msg = await js.get_msg("SLA", seq)
                assert msg.data is not None and msg.subject is not None
                event = CloudEvent.from_bytes(msg.data)
                if event.subject == case_id and msg.subject.endswith(".breached"):
                    return event, msg.time
            await asyncio.sleep(0.1)
        raise AssertionError("no sla.breached")
    finally:
        await nc.close()


def test_a_breach_is_emitted_within_a_second_of_its_deadline(stack: Stack) -> None:
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    if PISA.calendar.is_festivo(PISA.calendar.local_date(deadline)):
        pytest.skip("Pisa's callback clock does not run today (a festivo)")
    case_id = register(stack, "pisa", start_for(deadline), channel="voicemail")
    callback = eventually(lambda: clocks(stack, case_id).get("callback_24h"))
    assert datetime.fromisoformat(callback["deadline"]) == deadline
    assert callback["status"] == "running"

    event, stored_at = asyncio.run(breached_message(stack.nats_url, case_id))
    assert event.data["standard"] == "callback_24h"
    assert timedelta(0) < datetime.fromisoformat(event.data["at"]) - deadline < timedelta(seconds=1)
    assert stored_at - deadline < timedelta(seconds=1)
    assert clocks(stack, case_id)["callback_24h"]["status"] == "breached"


def test_sla_runs_on_postgresql_when_it_is_there(stack: Stack, sla_store: dict[str, str]) -> None:
    if not sla_store:
        pytest.skip("no PostgreSQL here: sla-svc ran on SQLite")
    assert stack.processes["sla"].poll() is None
    with psycopg.connect(sla_store["DATABASE_URL"]) as conn:
        query = sql.SQL("SELECT count(*) FROM {}.sla_events").format(
            sql.Identifier(sla_store["DATABASE_SCHEMA"])
        )
        row = conn.execute(query).fetchone()
    assert row is not None and row[0] > 0


def test_after_a_kill_a_replay_from_zero_gives_the_same_digest(stack: Stack) -> None:
    register(stack, "torino", datetime.now(UTC) - timedelta(days=2), kind="reclamo")
    as_of = datetime.now(UTC).isoformat()
    time.sleep(1.0)  # let sla-svc catch up with every case of this module
    before = httpx.get(f"{stack.url('sla')}/admin/digest", params={"as_of": as_of}).json()

    stack.kill("sla")
    stack.start_service("sla")
    stack.wait_ready()

    response = httpx.post(f"{stack.url('sla')}/admin/replay", params={"as_of": as_of}, timeout=60)
    assert response.status_code == 200, response.text
    replay = response.json()
    assert replay["digest"] == before["digest"] == replay["live_digest"]
    assert replay["matches"] and replay["clocks"] == before["clocks"] > 0
    assert replay["events"] > 0 and replay["events_per_second"] > 0
    assert replay["runs_breached_twice"] == 0
