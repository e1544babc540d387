"""sla-svc composition root: wiring only."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import AliasChoices, Field
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.contracts.subjects import CASES_STREAM
from sportello_shared.http import create_service_app, serve
from sportello_shared.runtime import Runtime, ServiceParts, Worker
from sportello_shared.settings import ServiceSettings

from . import api
from .adapters.publishing import to_public
from .application import SlaApplication


class SlaSettings(ServiceSettings):
    service_name: str = "sla"
    http_port: int = 8003
    breach_sweep_interval: float = Field(
        default=5.0, gt=0, validation_alias=AliasChoices("SLA_SWEEP_INTERVAL")
    )


def breach_sweep(interval: float) -> Worker:
    """Every `interval` seconds, breach the running clocks whose deadline has passed."""

    async def breach_sweep(runtime: Runtime[Any], stop: asyncio.Event) -> None:
        app: SlaApplication = runtime.app
        while not stop.is_set():
            await runtime.writer.call(app.breach_overdue, datetime.now(UTC))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    return breach_sweep


def build(settings: SlaSettings | None = None) -> FastAPI:
    settings = settings or SlaSettings()
    parts = ServiceParts(
        settings=settings,
        make_application=lambda env: SlaApplication(env=env),
        to_public=to_public,
        consumers=[
            # every case event: clocks start and stop on them
            ConsumerSpec("sla", CASES_STREAM, "sla", ("cases.>",)),
        ],
        workers=[breach_sweep(settings.breach_sweep_interval)],
    )
    return create_service_app(parts, [api.router], title="Sportello sla-svc")


def cli() -> None:
    settings = SlaSettings()
    serve(settings, lambda: build(settings))
