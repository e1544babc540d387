"""Idempotent provisioning of Sportello's JetStream streams (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ..contracts import subjects

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


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Create each stream, or bring an existing one to the configuration above."""
    for spec in STREAMS:
        config = spec.config(replicas)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
