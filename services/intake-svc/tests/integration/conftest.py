"""The live intake app with a real NATS, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sportello_devstack.testing import eventually  # noqa: F401 (tests import it from here)
from sportello_intake.main import IntakeSettings, build

ROOT = Path(__file__).parents[4]


def this_year() -> int:
    """The year a case registered now is numbered in (the registration's, in Italy)."""
    return datetime.now(ZoneInfo("Europe/Rome")).year


REGISTRATION: dict[str, Any] = {
    "tenant": "torino",
    "kind": "segnalazione",
    "channel": "voicemail",
    "category": "decoro_pulizia",
    "description": "Cassonetti traboccanti in via Roma",
    "citizen": {
        "name": "Maria Rossi",
        "email": "maria.rossi@example.org",
        "phone": "+39 011 1234567",
    },
    "location": {"address": "Via Roma 1, Torino", "lat": 45.07, "lon": 7.68},
    "received_at": "2025-12-05T10:00:00+01:00",
    # long before it is typed in (the tenant's window is 30 days): the reason is required
    "late_entry_reason": "lettera protocollata, registrata in ritardo",
}


def settings_for(store: dict[str, str], nats_url: str, **overrides: Any) -> IntakeSettings:
    """intake's settings on this test's store and NATS, with `overrides` (env names)."""
    return IntakeSettings(
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        RELAY_POLL_INTERVAL=0.05,
        **store,
        **overrides,
    )  # type: ignore[call-arg]


@asynccontextmanager
async def client_of(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The live app built from `settings`, started, and a client calling it in-process."""
    application = build(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client


@pytest.fixture
async def app(store: dict[str, str], nats_url: str) -> AsyncIterator[FastAPI]:
    application = build(settings_for(store, nats_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client
