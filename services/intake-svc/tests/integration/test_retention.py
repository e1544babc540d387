"""Retention: personal data of cases closed longer ago than the tenant's policy is erased."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sportello_contracts import wrap
from sportello_contracts.cases import CaseAssigned
from sportello_intake.main import IntakeSettings, build
from sportello_intake.retention import months_before
from sportello_shared.bus import headers

from .conftest import REGISTRATION, ROOT, eventually

ERASED_METRIC = "sportello_retention_erased_cases_total"


@pytest.fixture
async def client(
    store: dict[str, str], nats_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    tenants = tmp_path / "tenants"
    shutil.copytree(ROOT / "deploy" / "tenants" / "torino", tenants / "torino")
    policy = {"retention": {"months": 6}}
    (tenants / "torino" / "privacy.yaml").write_text(yaml.safe_dump(policy))
    settings = IntakeSettings(
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(tenants),
        RELAY_POLL_INTERVAL=0.05,
        RETENTION_INTERVAL=0.2,
        **store,
    )  # type: ignore[call-arg]
    app: FastAPI = build(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client


async def assign(nats_url: str, case: dict[str, Any], at: datetime) -> None:
    payload = CaseAssigned(
        case_id=case["case_id"],
        reference=case["reference"],
        occurred_at=at,
        organization="pm-reparto-5",
        organization_name="Reparto 5",
        rule_id="category:decoro_pulizia",
        rule_version=1,
        reasons=["test"],
    )
    envelope = wrap(
        payload,
        aggregate_id="assignment-" + case["case_id"],
        aggregate_version=1,
        source="/test",
        subject=case["case_id"],
        time=at,
        tenant="torino",
        organization="pm-reparto-5",
        traceparent=None,
    )
    nc = await nats.connect(servers=[nats_url])
    await nc.jetstream().publish(
        "cases.torino.pm-reparto-5.assigned",
        envelope.to_bytes(),
        headers={headers.MSG_ID: envelope.id, headers.PRODUCER: "routing"},
    )
    await nc.close()


async def case_of(
    client: httpx.AsyncClient, nats_url: str, email: str, days_ago: int, close: bool = True
) -> str:
    """A case of the citizen with `email`, received, handled and closed `days_ago` days ago."""
    at = datetime.now(UTC) - timedelta(days=days_ago)
    citizen = REGISTRATION["citizen"] | {"email": email, "phone": None}
    body = REGISTRATION | {"citizen": citizen, "received_at": at.isoformat()}
    case = (await client.post("/cases", json=body)).json()
    await assign(nats_url, case, at + timedelta(minutes=1))
    url = f"/cases/{case['case_id']}"

    async def assigned() -> bool:
        return bool((await client.get(url)).json()["status"] == "assigned")

    await eventually(assigned)
    steps = [("take-in-charge", {"operator": "x"})]
    steps += [("close", {"outcome": "Fatto"})] if close else []
    for n, (action, command) in enumerate(steps, start=2):
        when = (at + timedelta(minutes=n)).isoformat()
        done = await client.post(f"{url}/{action}", json=command | {"occurred_at": when})
        assert done.status_code == 200, done.text
    return str(case["case_id"])


def erased_count() -> float:
    return REGISTRY.get_sample_value(ERASED_METRIC, {"tenant": "torino"}) or 0.0


async def test_data_of_cases_closed_before_the_retention_period_is_erased(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    before = erased_count()
    aged = await case_of(client, nats_url, "vecchio@example.org", days_ago=400)
    recent = await case_of(client, nats_url, "recente@example.org", days_ago=30)
    # one citizen: an old closed case and one still open wait together (the open one first: a
    # retention pass between the two would rightly erase the old case of a citizen with none open)
    await case_of(client, nats_url, "attende@example.org", days_ago=1, close=False)
    waiting = await case_of(client, nats_url, "attende@example.org", days_ago=400)

    async def erased() -> dict[str, Any] | None:
        view: dict[str, Any] = (await client.get(f"/cases/{aged}")).json()
        return view if view["personal_data_erased_at"] else None

    view = await eventually(erased)
    last = view["timeline"][-1]
    assert (last["event"], last["actor"]) == ("personal_data_erased", "retention")
    await eventually(lambda: erased_count() >= before + 1)
    for kept in (recent, waiting):
        assert (await client.get(f"/cases/{kept}")).json()["personal_data_erased_at"] is None

    async def one_waits() -> bool:
        metrics = (await client.get("/metrics")).text
        return 'sportello_retention_deferred_cases{tenant="torino"} 1.0' in metrics

    await eventually(one_waits)  # the old case of the citizen who has one open
    assert "sportello_retention_last_run_timestamp_seconds" in (await client.get("/metrics")).text


def test_months_are_calendar_months() -> None:
    assert months_before(datetime(2026, 3, 31, 12, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 12, tzinfo=UTC
    )
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 24) == datetime(2024, 1, 15, tzinfo=UTC)
