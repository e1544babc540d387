"""`sportello-intake restream`: the messages of CASES published before issue 19, rewritten.

`case.received`/`case.handed_over` v1 carried the citizen and the description, the office's
lifecycle events v1 their free text, `case.assigned` an operator's reason. For each such message
still in the stream (`upcasting.current_form`), the current form is published on the same
subject, with the same CloudEvents id and the original's `Sportello-Producer` and
`Sportello-Notification-Id` (the services' consumers track by those, so a message they processed
as v1 is acknowledged without effect as v2) and the relay's Msg-Id plus `:restream`; then the
old message is deleted by its sequence (erased on disk by the server).

Idempotent: a republished copy names the sequence it replaces (`Sportello-Restream-Of`); a run
finding one (a run stopped between publish and delete) only deletes the old message, and a run
after a complete one finds nothing to do. Republished copies land at the end of the stream, after
later events of their case: consumers already wait (`RetryLater`) for what they need first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from pydantic import ValidationError
from sportello_contracts import CloudEvent
from sportello_contracts.subjects import CASES_STREAM
from sportello_contracts.upcasting import current_form
from sportello_shared.bus import headers
from sportello_shared.bus.relay import msg_id

RESTREAM_OF = "Sportello-Restream-Of"
SUFFIX = ":restream"
KEPT_HEADERS = (headers.PRODUCER, headers.NOTIFICATION_ID, headers.TRACEPARENT)


@dataclass
class RestreamReport:
    read: int = 0
    republished: int = 0
    deleted: int = 0
    unreadable: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Old:
    sequence: int
    subject: str
    event: CloudEvent
    headers: dict[str, str]


async def restream(
    js: JetStreamContext, stream: str = CASES_STREAM, timeout: float = 5.0
) -> RestreamReport:
    report = RestreamReport()
    old, replaced = await _scan(js, stream, report, timeout)
    for message in old:
        if message.sequence not in replaced:
            await _republish(js, stream, message)
            report.republished += 1
        await js.delete_msg(stream, message.sequence)
        report.deleted += 1
        report.by_type[message.event.type] = report.by_type.get(message.event.type, 0) + 1
    return report


async def _scan(
    js: JetStreamContext, stream: str, report: RestreamReport, timeout: float
) -> tuple[list[_Old], set[int]]:
    """Up to the last message at the start: those to rewrite, and the sequences already
    replaced by a copy of an earlier run."""
    info = await js.stream_info(stream)
    last = info.state.last_seq
    old: list[_Old] = []
    replaced: set[int] = set()
    if not info.state.messages:
        return old, replaced
    subjects = info.config.subjects or []
    sub = await js.subscribe(
        subjects[0] if len(subjects) == 1 else ">",
        stream=stream,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    try:
        while True:
            msg = await sub.next_msg(timeout=timeout)
            sequence = msg.metadata.sequence.stream
            if sequence > last:
                break
            report.read += 1
            _sort(msg, old, replaced, report)
            if sequence == last or msg.metadata.num_pending == 0:
                break
    finally:
        await sub.unsubscribe()
    return old, replaced


def _sort(msg: Msg, old: list[_Old], replaced: set[int], report: RestreamReport) -> None:
    message_headers = dict(msg.headers or {})
    of = message_headers.get(RESTREAM_OF, "")
    if of.isdigit():
        replaced.add(int(of))
        return
    try:
        event = CloudEvent.from_bytes(msg.data)
    except (ValidationError, ValueError):
        report.unreadable += 1
        return
    if current_form(event) is not None:
        old.append(_Old(msg.metadata.sequence.stream, msg.subject, event, message_headers))


async def _republish(js: JetStreamContext, stream: str, message: _Old) -> None:
    current = current_form(message.event)
    assert current is not None
    kept = {k: v for k, v in message.headers.items() if k in KEPT_HEADERS}
    published = kept | {
        headers.MSG_ID: f"{msg_id(current)}{SUFFIX}",
        RESTREAM_OF: str(message.sequence),
    }
    await js.publish(
        message.subject, current.to_bytes(), stream=stream, headers=published, timeout=10
    )
