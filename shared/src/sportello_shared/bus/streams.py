"""Idempotent provisioning of Sportello's JetStream streams (DESIGN.md §3)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from sportello_contracts import subjects

from ..logging import get_logger

log = get_logger(__name__)

DUPLICATE_WINDOW_SECONDS = 300.0


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str

    def config(self, replicas: int) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            description=self.description,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            discard=DiscardPolicy.OLD,
            max_age=0,
        )


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(subjects.CASES_STREAM, ("cases.>",), "Case lifecycle: the replayable log"),
    StreamSpec(
        subjects.SLA_STREAM, ("sla.>",), "Service-level clocks: deadlines, warnings, breaches"
    ),
    StreamSpec(
        subjects.NOTIFICATIONS_STREAM, ("notifications.>",), "Messages sent to citizens and offices"
    ),
    StreamSpec(subjects.INGEST_STREAM, ("ingest.>",), "Cases published by other platforms"),
    StreamSpec(
        subjects.DLQ_STREAM, ("dlq.>",), "Messages a service could not process, with the reason"
    ),
)

_BY_PREFIX = {spec.subjects[0].split(".")[0]: spec.name for spec in STREAMS}


def stream_for(subject: str) -> str:
    return _BY_PREFIX[subject.split(".", 1)[0]]


async def ensure_streams(js: JetStreamContext, replicas: int = 1, patience: float = 120.0) -> None:
    """Create each stream, or bring an existing one to the configuration above.

    A cluster that is still electing its meta leader, or another service creating the same
    stream at the same moment, answers with timeouts or errors: wait and ask again.
    """
    deadline = asyncio.get_running_loop().time() + patience
    for spec in STREAMS:
        delay = 0.2
        while True:
            try:
                await _ensure(js, spec, replicas)
                break
            except (nats.errors.Error, TimeoutError) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                log.warning("streams.retry", stream=spec.name, error=repr(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 3.0)


async def _ensure(js: JetStreamContext, spec: StreamSpec, replicas: int) -> None:
    config = spec.config(replicas)
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)
