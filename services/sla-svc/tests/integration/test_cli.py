"""`sportello-sla replay` against the live service's NATS and store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from nats.js import JetStreamContext
from sportello_contracts.case_triage import CaseForwarded
from sportello_sla.adapters.policy_files import load_catalogue
from sportello_sla.application import SlaApplication
from sportello_sla.cli import app as cli
from sportello_sla.main import SlaSettings
from typer.testing import CliRunner

from .conftest import assigned, clock_with_status, event, publish, received


async def test_replay_from_the_command_line_matches_the_live_store(
    client: httpx.AsyncClient, js: JetStreamContext, store: dict[str, str], nats_url: str
) -> None:
    now = datetime.now(UTC)
    old, new = str(uuid4()), str(uuid4())
    await publish(js, "rescaldina", received(old, now - timedelta(days=50)))
    await publish(js, "rescaldina", received(new, now - timedelta(hours=3)))
    await publish(js, "rescaldina", assigned(new, "urp"), organization="urp", producer="routing")
    forwarded = event(CaseForwarded, new, now, to=None)  # triage-first: the URP forwards it
    await publish(js, "rescaldina", forwarded, organization="urp")
    await clock_with_status(client, old, "answer_30d", "breached")
    await clock_with_status(client, new, "assignment_48h", "met")

    env = store | {"NATS_URL": nats_url}
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["replay"], env=env)
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert (
        "events/s" in result.output
        and "equal" in result.output
        and "DIFFERENT" not in result.output
    )


async def test_the_board_is_rebuilt_from_the_log_at_restart(
    client: httpx.AsyncClient, js: JetStreamContext, store: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    case_id = str(uuid4())
    await publish(js, "pisa", received(case_id, now - timedelta(days=1)))
    await clock_with_status(client, case_id, "answer_30d", "running")
    live = (await client.get("/admin/digest", params={"as_of": now.isoformat()})).json()

    overrides: dict[str, Any] = dict(store)
    settings = SlaSettings(**overrides)
    restarted = SlaApplication(
        load_catalogue(settings.tenants_dir), env=settings.eventsourcing_env()
    )
    try:
        assert restarted.board.digest(now) == live["digest"]
        assert restarted.board.open_count() == 1
    finally:
        restarted.close()
