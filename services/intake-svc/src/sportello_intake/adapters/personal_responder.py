"""The NATS responder on `personal.<tenant>.<requester>`: personal data for who may read it.

Every intake replica subscribes in the queue group `intake` (one answers each request). The
requester is the subject's last token, which NATS permissions let only that account publish on
(deploy/nats/accounts.conf): the body names the case, never who asks. What each requester gets is
`..personal`'s business; this adapter parses, asks it on the writer thread, and answers JSON.
A store that cannot be read answers `unavailable`: the asking consumer retries later.
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


async def answer_personal_data(runtime: Runtime[IntakeApplication], stop: asyncio.Event) -> None:
    """Answer until the service stops (a worker: restarted by the runtime if it fails)."""
    reader = PersonalDataReader(runtime.app)

    async def respond(msg: Msg) -> None:
        if not msg.reply:
            return
        body = await _answer(runtime, reader, msg)
        try:
            await msg.respond(body)
        except nats.errors.Error as exc:
            log.warning("personal.respond_failed", error=repr(exc))

    subscription = await runtime.nc.subscribe(SUBJECTS, queue=QUEUE, cb=respond)
    try:
        await stop.wait()
    finally:
        await subscription.unsubscribe()


async def _answer(
    runtime: Runtime[IntakeApplication], reader: PersonalDataReader, msg: Msg
) -> bytes:
    _, tenant, requester = msg.subject.split(".")
    try:
        request = PersonalRequest.model_validate_json(msg.data)
    except ValidationError as exc:
        return (
            PersonalRefusal(error="bad_request", detail=str(exc)[:500]).model_dump_json().encode()
        )
    try:
        answer = await runtime.writer.call(reader.answer, tenant, requester, request)
    except Exception as exc:  # the store is out: the requester retries, nothing is guessed
        log.warning("personal.unavailable", error=repr(exc), requester=requester)
        answer = PersonalRefusal(error="unavailable", detail=type(exc).__name__)
    log.info(
        "personal.answered",
        tenant=tenant,
        requester=requester,
        case_id=request.case_id,
        outcome=getattr(answer, "error", "answered"),
    )
    return answer.model_dump_json(exclude_none=True).encode()
