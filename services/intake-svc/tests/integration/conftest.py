"""The live intake app with a real NATS, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sportello_devstack.testing import eventually  # noqa: F401 (tests import it from here)
from sportello_intake.main import IntakeSettings, build

ROOT = Path(__file__).parents[4]

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
}


@pytest.fixture
async def app(store: dict[str, str], nats_url: str) -> AsyncIterator[FastAPI]:
    settings = IntakeSettings(
        NATS_URL=nats_url,
        SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
        RELAY_POLL_INTERVAL=0.05,
        **store,
    )  # type: ignore[call-arg]
    application = build(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client
