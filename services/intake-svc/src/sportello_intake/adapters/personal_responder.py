"""The NATS responder on `personal.<tenant>.<requester>`: personal data for who may read it.

Every intake replica subscribes in the queue group `intake` (one answers each request). The
requester is the subject's last token, which NATS permissions let only that account publish on
(deploy/nats/accounts.conf): the body names the case, never who asks. What each requester gets is
`..personal`'s business; this adapter parses, asks it on the writer thread (the requests waiting
together, in one call) and answers JSON. A store that cannot be read answers `unavailable`: the
asking consumer retries later.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import nats.errors
from nats.aio.msg import Msg
from pydantic import ValidationError
from sportello_contracts.personal import PersonalRefusal, PersonalRequest
from sportello_shared.logging import get_logger

from ..personal import PersonalDataReader

if TYPE_CHECKING:
    from sportello_shared.runtime import Runtime

    from ..application import IntakeApplication

log = get_logger(__name__)
SUBJECTS = "personal.*.*"
QUEUE = "intake"


MAX_BATCH = 200  # requests answered by one call on the writer thread


async def answer_personal_data(runtime: Runtime[IntakeApplication], stop: asyncio.Event) -> None:
    """Answer until the service stops (a worker: restarted by the runtime if it fails).

    The subscription's callback only queues each request; the requests waiting when the writer
    thread is free are answered together, in one call on it (a consumer asks about a whole
    batch of cases at once): one turn on the writer, one read of the store for the cases that
    are no longer fresh, instead of one of each per request behind the registrations.
    """
    reader = PersonalDataReader(runtime.app)
    waiting: asyncio.Queue[Msg] = asyncio.Queue()

    async def queue(msg: Msg) -> None:
        if msg.reply:
            waiting.put_nowait(msg)

    subscription = await runtime.nc.subscribe(SUBJECTS, queue=QUEUE, cb=queue)
    try:
        while not stop.is_set():
            batch = await _next_requests(waiting, stop)
            bodies = await _answers(runtime, reader, batch)
            replies = zip(batch, bodies, strict=True)
            await asyncio.gather(*(_respond(msg, body) for msg, body in replies))
    finally:
        await subscription.unsubscribe()


async def _next_requests(waiting: asyncio.Queue[Msg], stop: asyncio.Event) -> list[Msg]:
    """The next request, and every one waiting behind it (up to MAX_BATCH); [] on stop."""
    getting = asyncio.ensure_future(waiting.get())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not getting.done():
        getting.cancel()
        return []
    batch = [getting.result()]
    while len(batch) < MAX_BATCH and not waiting.empty():
        batch.append(waiting.get_nowait())
    return batch


async def _respond(msg: Msg, body: bytes) -> None:
    try:
        await msg.respond(body)
    except nats.errors.Error as exc:
        log.warning("personal.respond_failed", error=repr(exc))


Asked = tuple[str, str, PersonalRequest]


async def _answers(
    runtime: Runtime[IntakeApplication], reader: PersonalDataReader, batch: list[Msg]
) -> list[bytes]:
    """Each request's answer, in order: malformed ones refused here, the rest on the writer."""
    parsed: list[Asked | PersonalRefusal] = [_parsed(msg) for msg in batch]
    asked = [p for p in parsed if not isinstance(p, PersonalRefusal)]
    try:
        answered = iter(await runtime.writer.call(reader.answer_all, asked) if asked else [])
    except Exception as exc:  # the store is out: the requesters retry, nothing is guessed
        log.warning("personal.unavailable", error=repr(exc), requests=len(asked))
        refusal = PersonalRefusal(error="unavailable", detail=type(exc).__name__)
        answered = iter([refusal] * len(asked))
    bodies = []
    for request in parsed:
        answer = request if isinstance(request, PersonalRefusal) else next(answered)
        if not isinstance(request, PersonalRefusal):
            tenant, requester, body = request
            log.info(
                "personal.answered",
                tenant=tenant,
                requester=requester,
                case_id=body.case_id,
                outcome=getattr(answer, "error", "answered"),
            )
        bodies.append(answer.model_dump_json(exclude_none=True).encode())
    return bodies


def _parsed(msg: Msg) -> Asked | PersonalRefusal:
    _, tenant, requester = msg.subject.split(".")
    try:
        return tenant, requester, PersonalRequest.model_validate_json(msg.data)
    except ValidationError as exc:
        return PersonalRefusal(error="bad_request", detail=str(exc)[:500])
