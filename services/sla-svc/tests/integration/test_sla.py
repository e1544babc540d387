"""sla-svc on the live app, real NATS, SQLite and PostgreSQL: clocks from the streams, on time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from nats.js import JetStreamContext
from sportello_contracts import cases as c
from sportello_contracts.case_triage import CaseForwarded
from sportello_contracts.notifications import NotificationSent
from sportello_sla.calendars import ROME, TenantCalendar
from sportello_sla.domain import clock_id_for
from sportello_sla.terms import legal_term

from .conftest import (
    assigned,
    clock_with_status,
    event,
    eventually,
    publish,
    received,
    sla_messages,
)


async def test_a_case_closed_in_time_meets_its_answer_clock(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    received_at = datetime.now(UTC) - timedelta(hours=2)
    closed_at = datetime.now(UTC) - timedelta(minutes=5)

    await publish(js, "rescaldina", received(case_id, received_at))
    await clock_with_status(client, case_id, "answer_30d", "running")
    await publish(
        js, "rescaldina", assigned(case_id, "urp"), organization="urp", producer="routing"
    )
    await publish(
        js, "rescaldina", event(c.CaseClosed, case_id, closed_at, outcome="ok"), organization="urp"
    )

    clock = await clock_with_status(client, case_id, "answer_30d", "met")
    await clock_with_status(client, case_id, "assignment_48h", "met")
    # version 2 (triage-first, from 2026-12-05): closed by the URP stops the 48 hours too
    assert clock["policy_version"] == 2 and clock["organization"] == "urp"
    assert datetime.fromisoformat(clock["started_at"]) == received_at
    assert datetime.fromisoformat(clock["stopped_at"]) == closed_at
    deadline = datetime.fromisoformat(clock["deadline"])
    assert deadline.utcoffset() == deadline.astimezone(ROME).utcoffset()  # Rome's offset
    assert deadline.time().isoformat() == "23:59:59"

    messages = await sla_messages(js, case_id, "deadline_set", "met", standards=("answer_30d",))
    clock_id = clock_id_for(UUID(case_id), "answer_30d")
    sets = {e.data["standard"]: (subject, e) for subject, e, _ in messages["deadline_set"]}
    subject, deadline_set = sets["answer_30d"]
    assert subject == "sla.rescaldina.unassigned.deadline_set"
    assert deadline_set.id == f"{clock_id}:1"
    assert datetime.fromisoformat(deadline_set.data["deadline"]) == deadline
    mets = {e.data["standard"]: (subject, e) for subject, e, _ in messages["met"]}
    subject, met = mets["answer_30d"]
    assert subject == "sla.rescaldina.urp.met" and met.organization == "urp"
    assert met.traceparent is not None and deadline_set.traceparent is not None
    assert met.traceparent.split("-")[1] == deadline_set.traceparent.split("-")[1]  # one trace


async def test_a_case_received_long_ago_is_breached_by_the_sweep_once(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    await publish(js, "pisa", received(case_id, datetime.now(UTC) - timedelta(days=40)))

    clock = await clock_with_status(client, case_id, "answer_30d", "breached")
    assert clock["stopped_at"] is None
    messages = await sla_messages(js, case_id, "deadline_set", "breached")
    [(subject, _breached, _)] = messages["breached"]
    assert subject == "sla.pisa.unassigned.breached"
    assert "warning" not in messages  # overdue from the start: a breach, not a warning

    breaches = (await client.get("/breaches", params={"tenant": "pisa"})).json()
    assert case_id in {b["case_id"] for b in breaches}
    closed_at = datetime.now(UTC)
    await publish(js, "pisa", event(c.CaseClosed, case_id, closed_at, outcome="ok"))

    async def stopped() -> dict[str, Any] | None:
        """the breached clock records when the case was closed"""
        [clock] = (await client.get(f"/cases/{case_id}/clocks")).json()
        return clock if clock["stopped_at"] else None

    clock = await eventually(stopped)
    assert clock["status"] == "breached"
    open_breaches = (await client.get("/breaches", params={"tenant": "pisa"})).json()
    assert case_id not in {b["case_id"] for b in open_breaches}
    await asyncio.sleep(0.5)
    assert len((await sla_messages(js, case_id, "breached"))["breached"]) == 1


async def test_a_breach_is_emitted_within_a_second_of_its_deadline(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    await publish(js, "rescaldina", received(case_id, deadline - timedelta(hours=48)))
    running = await clock_with_status(client, case_id, "assignment_48h", "running")
    assert datetime.fromisoformat(running["deadline"]) == deadline

    messages = await sla_messages(js, case_id, "breached")
    [(_, breached, stored_at)] = [
        m for m in messages["breached"] if m[1].data["standard"] == "assignment_48h"
    ]
    assert (
        timedelta(0) < datetime.fromisoformat(breached.data["at"]) - deadline < timedelta(seconds=1)
    )
    assert stored_at - deadline < timedelta(seconds=1)
    warned = (await sla_messages(js, case_id, "warning"))["warning"]
    assert [e.data["standard"] for _, e, _ in warned] == ["assignment_48h"]  # 80 %: 9.6 h ago


async def test_torinos_first_contact_stops_when_the_taking_in_charge_mail_is_delivered(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    now = datetime.now(UTC)
    await publish(js, "torino", received(case_id, now - timedelta(hours=1), channel="voicemail"))
    await clock_with_status(client, case_id, "voicemail_callback_24h", "running")
    sent = NotificationSent(
        notification_id=str(uuid4()),
        case_id=case_id,
        template="taken_in_charge",
        channel="email",
        at=now,
    )
    await publish(js, "torino", sent, producer="notify")
    clock = await clock_with_status(client, case_id, "first_contact_5wd", "met")
    assert datetime.fromisoformat(clock["stopped_at"]) == now
    [callback] = [
        k
        for k in (await client.get(f"/cases/{case_id}/clocks")).json()
        if k["standard"] == "voicemail_callback_24h"
    ]
    assert callback["status"] == "running"  # a mail is not the callback


async def test_waiting_for_the_citizen_pauses_the_answer_clock(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    now = datetime.now(UTC)
    await publish(js, "pisa", received(case_id, now - timedelta(days=3)))
    before = await clock_with_status(client, case_id, "answer_30d", "running")
    await publish(
        js, "pisa", event(c.CaseWaitingForCitizen, case_id, now - timedelta(days=2), request="?")
    )
    paused = await clock_with_status(client, case_id, "answer_30d", "paused")
    assert paused["deadline"] > before["deadline"]
    await publish(js, "pisa", event(c.CaseResumed, case_id, now))
    resumed = await clock_with_status(client, case_id, "answer_30d", "running")
    waited = (now.astimezone(ROME).date() - (now - timedelta(days=2)).astimezone(ROME).date()).days
    calendar = TenantCalendar(patron_saint=(6, 17))
    expected = legal_term(now - timedelta(days=3), 30 + waited, calendar)
    assert datetime.fromisoformat(resumed["deadline"]) == expected

    async def all_three_relayed() -> bool:  # the store is ahead of the relay by a few ms
        return len((await sla_messages(js, case_id, "deadline_set"))["deadline_set"]) >= 3

    await eventually(all_three_relayed)
    messages = await sla_messages(js, case_id, "deadline_set")
    assert len(messages["deadline_set"]) == 3  # started, suspended, resumed


async def test_an_event_that_overtook_its_case_received_is_processed_after_it(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    now = datetime.now(UTC)
    await publish(
        js, "pisa", event(c.CaseClosed, case_id, now - timedelta(minutes=1), outcome="ok")
    )
    await asyncio.sleep(0.5)  # delivered once, found no case, put back for later
    assert (await client.get(f"/cases/{case_id}/clocks")).json() == []

    await publish(js, "pisa", received(case_id, now - timedelta(days=3)))
    clock = await clock_with_status(client, case_id, "answer_30d", "met")
    assert datetime.fromisoformat(clock["stopped_at"]) == now - timedelta(minutes=1)


async def test_a_replay_of_the_streams_gives_the_live_digest(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    now = datetime.now(UTC)
    cases = [str(uuid4()) for _ in range(4)]
    await publish(js, "pisa", received(cases[0], now - timedelta(days=40)))
    await publish(js, "torino", received(cases[1], now - timedelta(days=2), kind="reclamo"))
    await publish(js, "rescaldina", received(cases[2], now - timedelta(hours=1)))
    await publish(js, "rescaldina", assigned(cases[2], "urp"), organization="urp")
    forwarded = event(CaseForwarded, cases[2], now, to="area-tecnica")  # the URP forwards it
    await publish(js, "rescaldina", forwarded, organization="urp")
    await publish(js, "rescaldina", assigned(cases[2], "area-tecnica"), organization="area-tecnica")
    await publish(
        js,
        "casale-monferrato",
        received(cases[3], now, category="attestazione_idoneita_alloggiativa"),
    )
    await clock_with_status(client, cases[0], "answer_30d", "breached")
    await clock_with_status(client, cases[3], "attestation_30d", "running")
    await clock_with_status(client, cases[2], "assignment_48h", "met")
    await sla_messages(js, cases[0], "breached")  # relayed

    response = await client.post("/admin/replay")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["matches"] is True and report["digest"] == report["live_digest"]
    assert report["per_stream"] == {"CASES": 7} and report["clocks"] == 7  # 2 of the URP
    assert report["events_per_second"] > 0
    assert report["breaches_published"] >= 1 and report["runs_breached_twice"] == 0
    live = (await client.get("/admin/digest", params={"as_of": report["as_of"]})).json()
    assert live["digest"] == report["digest"]
