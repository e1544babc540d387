"""How far intake's case index lags the event store (issue 27): not part of `make bench`.

    .venv/bin/python -m bench.index_delay [registrations] [concurrency]

Open311 registrations into intake in-process on SQLite (encrypted, as in production), with a
nats-server of its own; then the `sportello_case_index_delay_seconds` histogram's quantiles
(bucket upper bounds: from an event's creation to the index showing it).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from base64 import b64encode
from pathlib import Path

import httpx
from prometheus_client import REGISTRY
from sportello_devstack.natsserver import NatsServer
from sportello_intake.main import IntakeSettings, build

from .common import ROOT

KEY = "chiave-di-misura-torino-0123456789"
FORM = {
    "jurisdiction_id": "torino",
    "service_code": "decoro_pulizia",
    "lat": "45.07",
    "long": "7.68",
    "description": "Cassonetti traboccanti in via Roma",
    "email": "maria.rossi@example.org",
    "first_name": "Maria",
    "last_name": "Rossi",
    "api_key": KEY,
}


def delay_quantiles() -> tuple[float, dict[float, float]]:
    buckets = [
        (float(sample.labels["le"]), sample.value)
        for metric in REGISTRY.collect()
        if metric.name == "sportello_case_index_delay_seconds"
        for sample in metric.samples
        if sample.name.endswith("_bucket")
    ]
    total = buckets[-1][1]
    return total, {
        q: next(le for le, count in buckets if count >= q * total) for q in (0.5, 0.9, 0.99, 1.0)
    }


async def measure(registrations: int, concurrency: int, tmp: Path) -> str:
    keys = tmp / "open311-keys.json"
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    keys.write_text(json.dumps([{"client": "bench", "tenant": "torino", "sha256": digest}]))
    os.environ["OPEN311_KEYS_FILE"] = str(keys)
    with NatsServer(tmp / "nats") as nats:
        settings = IntakeSettings(
            NATS_URL=nats.url,
            SPORTELLO_TENANTS_DIR=str(ROOT / "deploy" / "tenants"),
            SPORTELLO_DATA_DIR=str(tmp / "data"),
            CIPHER_KEY=b64encode(os.urandom(32)).decode(),
            OPEN311_RATE_PER_MINUTE=1e9,
            LOG_LEVEL="WARNING",
        )
        app = build(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
                left = list(range(registrations))

                async def register() -> None:
                    while left:
                        left.pop()
                        response = await client.post("/open311/v2/requests.json", data=FORM)
                        response.raise_for_status()

                started = time.monotonic()
                await asyncio.gather(*(register() for _ in range(concurrency)))
                rate = registrations / (time.monotonic() - started)
                await asyncio.sleep(2.0)  # the index catches up with the last ones
    total, q = delay_quantiles()
    return (
        f"{registrations} registrations, {concurrency} at a time, {rate:.0f}/s; index delay "
        f"p50 <= {q[0.5]} s, p90 <= {q[0.9]} s, p99 <= {q[0.99]} s, max <= {q[1.0]} s "
        f"({total:.0f} events)"
    )


def main() -> None:
    registrations = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    with tempfile.TemporaryDirectory() as tmp:
        sys.stdout.write(asyncio.run(measure(registrations, concurrency, Path(tmp))) + "\n")


if __name__ == "__main__":
    main()
