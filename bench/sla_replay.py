"""Benchmark 3: rebuilding sla-svc's projection from a CASES stream of generated lifecycles.

The same stream is read twice in the same run: by a bare nats-py ordered consumer that only
counts messages (the baseline: what reading costs), then by sla-svc's replay (`sportello-sla
replay` minus its progress bar), which feeds every event to a fresh SlaApplication and digests
the clocks. The stream is written by a server without `sync_interval: always`: writing it is
set-up, not what is measured, and reading does not depend on how it was fsynced.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats as nats_client
from nats.aio.client import Client as NATS
from sportello_contracts import CloudEvent, wrap
from sportello_contracts import cases as c
from sportello_contracts.subjects import CASES_STREAM, case_subject
from sportello_devstack.natsserver import NatsServer
from sportello_shared.bus.streams import ensure_streams
from sportello_sla.adapters.policy_files import load_catalogue
from sportello_sla.adapters.replaying import replay_streams

from .common import ROOT, Figure, publish_all

EVENTS = int(os.environ.get("BENCH_REPLAY_EVENTS", "1000000"))
QUICK_EVENTS = 5_000
TENANTS = {
    "torino": "pm-reparto-1",
    "pisa": "pisamo",
    "rescaldina": "urp",
    "marcallo": "urp",
    "casale-monferrato": "urp",
}
KINDS = (
    "segnalazione",
    "reclamo",
    "suggerimento",
    "richiesta_informazioni",
    "richiesta_intervento",
)
CHANNELS = ("phone", "voicemail", "email", "pec", "web", "counter")
CaseEvent = c._CaseEvent  # every case event has case_id and occurred_at
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _lifecycle(rng: random.Random, number: int) -> list[tuple[str, str, CaseEvent]]:
    """(tenant, organization, payload) of one case: received, assigned, taken in charge, often
    a first contact, mostly closed: 3 to 5 events, as the cities' case files look."""
    tenant = rng.choice(list(TENANTS))
    organization = TENANTS[tenant]
    case_id = str(uuid.UUID(int=rng.getrandbits(128)))
    reference = f"BE-2026-{number % 1_000_000:06d}"
    at = START + timedelta(minutes=number % 400_000)
    common = {"case_id": case_id, "reference": reference}
    events: list[tuple[str, str, CaseEvent]] = [
        (
            tenant,
            "unassigned",
            c.CaseReceived(
                **common,
                occurred_at=at,
                kind=rng.choice(KINDS),
                channel=rng.choice(CHANNELS),
                category="segnalazioni",
                description="Lampione spento in via Roma",
                citizen=c.Citizen(name="Maria Rossi", email="maria.rossi@example.org"),
                received_at=at,
                registered_at=at,
            ),
        ),
        (
            tenant,
            organization,
            c.CaseAssigned(
                **common,
                occurred_at=at + timedelta(hours=2),
                organization=organization,
                organization_name=organization,
                rule_id="bench",
                rule_version=1,
                reasons=["category"],
            ),
        ),
        (
            tenant,
            organization,
            c.CaseTakenInCharge(
                **common,
                occurred_at=at + timedelta(hours=20),
                organization=organization,
                operator="op",
            ),
        ),
    ]
    if rng.random() < 0.5:
        contacted = c.CaseCitizenContacted(
            **common, occurred_at=at + timedelta(days=2), means="phone"
        )
        events.append((tenant, organization, contacted))
    if rng.random() < 0.8:
        closed = c.CaseClosed(**common, occurred_at=at + timedelta(days=12), outcome="risolto")
        events.append((tenant, organization, closed))
    return events


def generate(total: int, seed: int = 2026) -> Iterator[tuple[str, bytes]]:
    """`total` CASES messages (subject, CloudEvent) of whole lifecycles, reproducibly."""
    rng = random.Random(seed)
    produced, number = 0, 0
    while produced < total:
        number += 1
        for version, (tenant, organization, payload) in enumerate(_lifecycle(rng, number), 1):
            if produced == total:
                return
            envelope: CloudEvent = wrap(
                payload,
                aggregate_id=payload.case_id,
                aggregate_version=version,
                source="/bench",
                subject=payload.case_id,
                time=payload.occurred_at,
                tenant=tenant,
                organization=organization,
                traceparent=None,
            )
            yield case_subject(tenant, organization, payload.event), envelope.to_bytes()
            produced += 1


async def bare_read(nc: NATS, total: int) -> float:
    """Seconds for an ordered consumer to receive `total` messages, doing nothing with them."""
    js = nc.jetstream()
    done = asyncio.Event()
    received = 0

    async def count(_: object) -> None:
        nonlocal received
        received += 1
        if received >= total:
            done.set()

    started = time.perf_counter()
    subscription = await js.subscribe(
        "cases.>", stream=CASES_STREAM, cb=count, ordered_consumer=True
    )
    await done.wait()
    elapsed = time.perf_counter() - started
    await subscription.unsubscribe()
    return elapsed


async def run(tmp: Path, quick: bool) -> list[Figure]:
    total = QUICK_EVENTS if quick else EVENTS
    catalogue = load_catalogue(ROOT / "deploy" / "tenants")
    with NatsServer(tmp / "nats-replay", sync_always=False) as server:
        nc = await nats_client.connect(servers=[server.url])
        js = nc.jetstream()
        await ensure_streams(js)
        await publish_all(js, CASES_STREAM, generate(total), window=2_000)
        bare_seconds = await bare_read(nc, total)
        result = await replay_streams(js, catalogue, lambda: datetime(2027, 6, 1, tzinfo=UTC))
        await nc.close()
    assert result.events == total, f"replay read {result.events} of {total} events"
    bare = total / bare_seconds
    replayed = result.events_per_second
    target = "≥ 50,000 ev/s and ≥ 0.5x the bare read"
    return [
        Figure(
            "3 SLA replay",
            f"events/s rebuilding the clocks ({total:,} events, {result.clocks:,} clocks)",
            replayed,
            "ev/s",
            baseline="bare ordered consumer ev/s",
            baseline_value=bare,
            target=target,
            met=replayed >= 50_000 and replayed >= 0.5 * bare,
        )
    ]
