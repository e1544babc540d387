"""What a consumer is (`ConsumerSpec`), what a service gives it (`Processor`), what it carries
for each message (`Item`) and how each message is tracked (`tracking_for`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from eventsourcing.persistence import Tracking
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ..application import Incoming
from . import headers


class Processor(Protocol):
    """What a service gives the runner: exact tracking checks and the processing itself."""

    async def is_tracked(self, tracking: Tracking) -> bool: ...
    async def process(self, incoming: Incoming, tracking: Tracking) -> None: ...

    @property
    def processes_batches(self) -> bool: ...
    async def tracked(self, trackings: Sequence[Tracking]) -> set[Tracking]: ...
    async def process_batch(
        self, batch: Sequence[tuple[Incoming, Tracking]]
    ) -> list[Exception | None]: ...

    async def letter_key(self, subject: str, data: bytes | None) -> bytes | None:
        """The key sealing a dead letter, made (with `data`) if missing; None: no key kept."""


@dataclass(frozen=True)
class Item:
    msg: Msg
    incoming: Incoming
    tracking: Tracking
    context: dict[str, object]

    @property
    def case(self) -> str:
        return self.incoming.envelope.subject


@dataclass(frozen=True)
class ConsumerSpec:
    service: str
    stream: str
    durable: str
    filter_subjects: tuple[str, ...]
    max_deliver: int = 10
    ack_wait: float = 30.0
    batch: int = 50
    ignore_unknown_types: bool = True
    max_payload_bytes: int = 256 * 1024
    # events (payload `event` names) whose reaction needs the case's personal data from intake,
    # asked on personal.<tenant>.<requester> before the policy runs
    personal_data: frozenset[str] = frozenset()
    requester: str = ""
    # delete each message from the stream once processed or dead-lettered (INGEST: what
    # platforms send carries the citizen's contact; the case file of record is intake's store)
    delete_processed: bool = False
    # nobody waits on this consumer's effects within the second: it lingers longer for bigger
    # batches (CONSUMER_BACKGROUND_LINGER instead of CONSUMER_LINGER; bus/fetching.py)
    background: bool = False

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subject=self.filter_subjects[0] if len(self.filter_subjects) == 1 else None,
            filter_subjects=list(self.filter_subjects) if len(self.filter_subjects) > 1 else None,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait,
            max_ack_pending=1000,
        )


def tracking_for(msg: Msg) -> Tracking:
    """Track by the producer's own notification id when it sent one, else by stream sequence.

    The producer's id survives a republish after the duplicate window; a stream sequence does not,
    so it is used only for messages from outside (platforms publishing on `ingest.>`).
    """
    msg_headers = msg.headers or {}
    producer = msg_headers.get(headers.PRODUCER)
    notification_id = msg_headers.get(headers.NOTIFICATION_ID)
    if producer and notification_id and notification_id.isdigit():
        return Tracking(producer, int(notification_id))
    return Tracking(f"stream:{msg.metadata.stream}", msg.metadata.sequence.stream)


def first_delivery(msg: Msg) -> bool:
    """Whether the server delivers this message for the first time (to this consumer)."""
    try:
        return bool(msg.metadata.num_delivered == 1)
    except Exception:  # not a JetStream delivery: no count to go by
        return False
