"""Dead letters: list what a service could not process, and redrive it once corrected."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError, NotFoundError
from sportello_contracts.subjects import DLQ_STREAM, dlq_subject

from ..personal_data import ERASED_TEXT
from . import headers
from .sealing import SEALED, unseal

# A service's key for a dead letter (None: erased, or never kept); see sealing.py.
LetterKey = Callable[[str], Awaitable[bytes | None]]

_DLQ_HEADERS = {
    headers.DLQ_REASON,
    headers.DLQ_SERVICE,
    headers.DLQ_SUBJECT,
    headers.DLQ_STREAM,
    headers.DLQ_SEQUENCE,
    headers.MSG_ID,
    SEALED,
}


class DeadLetterNotFound(LookupError):
    pass


class DeadLetterErased(LookupError):
    """Its payload's key was erased (or never kept): there is nothing left to redrive."""


@dataclass(frozen=True)
class DeadLetter:
    sequence: int
    reason: str
    original_subject: str | None
    original_stream: str | None
    original_sequence: int | None
    headers: dict[str, str]
    data: bytes
    readable: bool = True  # False: sealed under a key that is gone

    def view(self) -> dict[str, Any]:
        body: Any = ERASED_TEXT
        if self.readable:
            try:
                body = self.data.decode("utf-8")
            except UnicodeDecodeError:
                body = {"base64": base64.b64encode(self.data).decode()}
        return {
            "sequence": self.sequence,
            "reason": self.reason,
            "original_subject": self.original_subject,
            "original_stream": self.original_stream,
            "original_sequence": self.original_sequence,
            "body": body,
        }


def _dead_letter(sequence: int, msg_headers: dict[str, str] | None, data: bytes) -> DeadLetter:
    found = msg_headers or {}
    original_sequence = found.get(headers.DLQ_SEQUENCE)
    return DeadLetter(
        sequence=sequence,
        reason=found.get(headers.DLQ_REASON, ""),
        original_subject=found.get(headers.DLQ_SUBJECT),
        original_stream=found.get(headers.DLQ_STREAM),
        original_sequence=int(original_sequence) if original_sequence else None,
        headers=found,
        data=data,
    )


async def opened(letter: DeadLetter, key_of: LetterKey | None) -> DeadLetter:
    """The letter with its payload unsealed, or marked unreadable when its key is gone."""
    subject = letter.headers.get(SEALED)
    if subject is None:
        return letter
    key = await key_of(subject) if key_of is not None else None
    if key is None:
        return replace(letter, data=b"", readable=False)
    return replace(letter, data=unseal(key, subject, letter.data))


async def list_dead_letters(
    js: JetStreamContext, service: str, limit: int = 100, key_of: LetterKey | None = None
) -> list[DeadLetter]:
    """An ephemeral, ack-less read of `dlq.<service>`: listing changes nothing."""
    subscription = await js.pull_subscribe(
        dlq_subject(service),
        stream=DLQ_STREAM,
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            inactive_threshold=30.0,
        ),
    )
    found: list[DeadLetter] = []
    try:
        # Fetch only while the consumer says letters remain: a fetch finding none waits out its
        # whole timeout, which made every listing (even of an empty DLQ) take 0.5 s.
        remaining = (await subscription.consumer_info()).num_pending or 0
        while remaining and len(found) < limit:
            try:
                batch = await subscription.fetch(min(limit - len(found), 100), timeout=0.5)
            except (nats.errors.TimeoutError, TimeoutError):
                break  # redriven (deleted) since we counted them
            found.extend(_dead_letter(m.metadata.sequence.stream, m.headers, m.data) for m in batch)
            remaining = batch[-1].metadata.num_pending if batch else 0
    finally:
        await subscription.unsubscribe()
    return [await opened(letter, key_of) for letter in found]


async def redrive(
    js: JetStreamContext,
    service: str,
    sequence: int,
    corrected: bytes | None = None,
    key_of: LetterKey | None = None,
) -> int:
    """Publish the message again on its original subject, then remove it from the DLQ.

    It goes out with a new Msg-Id (the original one may still be in the duplicate window), and
    keeps the producer's tracking headers, so consumers that did process it drop it again.
    """
    try:
        stored = await js.get_msg(DLQ_STREAM, seq=sequence)
    except (NotFoundError, BadRequestError):
        raise DeadLetterNotFound(f"no dead letter {sequence}") from None
    letter = _dead_letter(sequence, stored.headers, stored.data or b"")
    original_subject = letter.original_subject
    if letter.headers.get(headers.DLQ_SERVICE) != service or not original_subject:
        raise DeadLetterNotFound(f"dead letter {sequence} is not {service}'s or cannot be redriven")
    letter = await opened(letter, key_of)
    if not letter.readable and not corrected:
        raise DeadLetterErased(f"dead letter {sequence}'s payload was erased: send a corrected one")
    forwarded = {k: v for k, v in letter.headers.items() if k not in _DLQ_HEADERS}
    forwarded[headers.MSG_ID] = f"redrive:{service}:{sequence}"
    ack = await js.publish(original_subject, corrected or letter.data, headers=forwarded)
    await js.delete_msg(DLQ_STREAM, sequence)
    return ack.seq
