"""Pisa's 24-hour callback (issue 18): from version 2 of its standards (in force from
2026-12-01) the clock stops on a callback actually made (`case.callback_done`), not on any
recorded contact; a case received under version 1 keeps version 1's rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
from nats.js import JetStreamContext
from sportello_contracts import case_acts as acts
from sportello_contracts import cases as c

from .conftest import clock_with_status, event, publish, received


async def test_a_contact_is_not_the_callback_the_callback_done_is(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    at = datetime.now(UTC) - timedelta(hours=1)  # under version 2, within its 24 hours
    await publish(js, "pisa", received(case_id, at, handling_mode="callback"))
    started = await clock_with_status(client, case_id, "callback_24h", "running")
    assert started["policy_version"] == 2
    contacted = event(c.CaseCitizenContacted, case_id, at + timedelta(minutes=10), means="email")
    await publish(js, "pisa", contacted)
    scheduled = event(acts.CaseCallbackScheduled, case_id, at + timedelta(minutes=20))
    await publish(js, "pisa", scheduled)
    done_at = at + timedelta(minutes=30)
    await publish(js, "pisa", event(acts.CaseCallbackDone, case_id, done_at, means="phone"))
    met = await clock_with_status(client, case_id, "callback_24h", "met")
    assert datetime.fromisoformat(met["stopped_at"]) == done_at  # not the contact's time


async def test_under_version_1_a_contact_still_stops_it(
    client: httpx.AsyncClient, js: JetStreamContext
) -> None:
    case_id = str(uuid4())
    at = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
    await publish(js, "pisa", received(case_id, at, channel="voicemail"))
    started = await clock_with_status(client, case_id, "callback_24h", "breached")
    assert started["policy_version"] == 1
    contacted_at = at + timedelta(hours=1)
    contacted = event(c.CaseCitizenContacted, case_id, contacted_at, means="phone")
    await publish(js, "pisa", contacted)
    met = await clock_with_status(client, case_id, "callback_24h", "met")
    assert datetime.fromisoformat(met["stopped_at"]) == contacted_at
