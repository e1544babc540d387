"""sla-svc composition root: wiring only."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import AliasChoices, Field
from sportello_contracts.subjects import CASES_STREAM, NOTIFICATIONS_STREAM, case_events
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.bus.leases import Lease
from sportello_shared.http import create_service_app, serve
from sportello_shared.runtime import Runtime, ServiceParts, Worker
from sportello_shared.settings import ServiceSettings

from .adapters.policy_files import load_catalogue
from .adapters.publishing import to_public
from .anomalies import InvalidAnomaly, UnknownAction, UnknownAnomaly
from .api import public_routers, routers
from .application import SlaApplication
from .catalogue import UnknownStandard
from .heeded import HEEDED_CASE_EVENTS
from .publication import NotPublished, PublicationRefused
from .terms import NaiveTime


class SlaSettings(ServiceSettings):
    service_name: str = "sla"
    http_port: int = 8003
    sweep_interval: float = Field(
        default=0.5,
        gt=0,
        validation_alias=AliasChoices("SLA_SWEEP_INTERVAL"),
        description="the longest the sweep sleeps; it wakes earlier for the next due clock",
    )


def sweep(interval: float) -> Worker:
    """Warn and breach clocks on time, even when no other event arrives: one replica at a time
    (a lease); the events' ids are `<clock id>:<version>`, so a race still emits once."""

    async def sweep(runtime: Runtime[Any], stop: asyncio.Event) -> None:
        app: SlaApplication = runtime.app
        lease = runtime.lease("sweep")
        if not await _acquire_unless_stopped(lease, stop):
            return
        try:
            while not stop.is_set():
                await runtime.writer.call(app.sweep, datetime.now(UTC))
                next_due = await asyncio.to_thread(app.board.next_due)
                wait = interval
                if next_due is not None:
                    wait = min(max((next_due - datetime.now(UTC)).total_seconds(), 0.01), interval)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
        finally:
            await lease.release()

    return sweep


async def _acquire_unless_stopped(lease: Lease, stop: asyncio.Event) -> bool:
    acquire, stopped = asyncio.ensure_future(lease.acquire()), asyncio.ensure_future(stop.wait())
    await asyncio.wait({acquire, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if acquire.done():
        stopped.cancel()
        return True
    acquire.cancel()
    return False


def consumers() -> list[ConsumerSpec]:
    return [
        # the case events clocks start, pause, stop and restart on (a clock counts from each
        # event's own time, so lingering for bigger batches moves no deadline)
        ConsumerSpec(
            "sla",
            CASES_STREAM,
            "sla",
            tuple(case_events(e) for e in HEEDED_CASE_EVENTS),
            background=True,
        ),
        # messages delivered to citizens (Torino's first contact) and satisfaction surveys
        ConsumerSpec("sla", NOTIFICATIONS_STREAM, "sla", ("notifications.>",), background=True),
    ]


def build(settings: SlaSettings | None = None) -> FastAPI:
    settings = settings or SlaSettings()
    catalogue = load_catalogue(settings.tenants_dir)
    parts = ServiceParts(
        settings=settings,
        make_application=lambda env: SlaApplication(catalogue, env=env),
        to_public=to_public,
        consumers=consumers(),
        workers=[sweep(settings.sweep_interval)],
    )
    return create_service_app(
        parts,
        routers,
        title="Sportello sla-svc",
        public_routers=public_routers,
        error_statuses={
            UnknownStandard: 404,
            NaiveTime: 422,
            UnknownAnomaly: 404,
            UnknownAction: 404,
            InvalidAnomaly: 422,
            NotPublished: 404,
            PublicationRefused: 409,
        },
    )


def run_server(settings: SlaSettings | None = None) -> None:
    settings = settings or SlaSettings()
    serve(settings, lambda: build(settings))
