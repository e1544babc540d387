"""`sportello-console rebuild`: forget the read model and re-read the CASES and SLA streams.

Run it with the console stopped: it deletes the model's file and the console's durable
consumers, so the next start reads both streams from their first message.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats
import nats.js.errors

from .feed import consumer_specs
from .main import read_model_path
from .settings import ConsoleSettings


def rebuild(settings: ConsoleSettings) -> None:
    asyncio.run(_delete_consumers(settings))
    path = read_model_path(settings)
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    print(f"read model {path} removed; the next start rebuilds it from the streams")  # noqa: T201


async def _delete_consumers(settings: ConsoleSettings) -> None:
    nc = await nats.connect(
        servers=settings.nats_servers, inbox_prefix=settings.nats_inbox_prefix, connect_timeout=5
    )
    try:
        js = nc.jetstream()
        for spec in consumer_specs(settings.durable):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_consumer(spec.stream, spec.durable)
    finally:
        await nc.drain()
