"""Asking intake for a case's personal data before a consumer's policy runs (request/reply).

The events carry none (docs/security.md); a consumer whose reaction to an event needs some
(routing: the description for keywords; notify: the citizen, to write to them) names those events
in `ConsumerSpec.personal_data`, and the runner asks intake on `personal.<tenant>.<requester>`
before the policy runs, so policies stay synchronous and pure. Intake down, slow or unable to read
its store: `RetryLater`, i.e. the message is nak'ed with a delay and comes back; it is never
processed without what it needs.
"""

from __future__ import annotations

import json

import nats.errors
from nats.aio.client import Client as NatsClient
from pydantic import ValidationError
from sportello_contracts.personal import PersonalAnswer, PersonalRequest
from sportello_contracts.subjects import personal_subject

from ..application import Rejected, RetryLater

DEFAULT_TIMEOUT_S = 5.0


class PersonalDataClient:
    def __init__(self, nc: NatsClient, requester: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self._nc = nc
        self.requester = requester
        self._timeout = timeout

    async def fetch(self, tenant: str, case_id: str, event_id: str | None = None) -> PersonalAnswer:
        request = PersonalRequest(case_id=case_id, event_id=event_id)
        subject = personal_subject(tenant, self.requester)
        try:
            reply = await self._nc.request(
                subject, request.model_dump_json(exclude_none=True).encode(), self._timeout
            )
        except nats.errors.NoRespondersError as exc:
            raise RetryLater("intake is not answering personal data requests") from exc
        except (nats.errors.TimeoutError, TimeoutError) as exc:
            raise RetryLater(f"intake did not answer {subject} in {self._timeout} s") from exc
        except nats.errors.Error as exc:
            raise RetryLater(f"personal data request failed: {exc!r}") from exc
        return _parsed(reply.data, case_id)


def _parsed(data: bytes, case_id: str) -> PersonalAnswer:
    try:
        found = json.loads(data)
    except ValueError as exc:
        raise RetryLater(f"intake's answer is not JSON: {exc}") from exc
    if isinstance(found, dict) and "error" in found:
        detail = (
            f"intake refused personal data of {case_id}: {found['error']} {found.get('detail')}"
        )
        if found["error"] == "bad_request":
            raise Rejected(detail)
        raise RetryLater(detail)  # not found (yet), not yours (yet), store out: ask again later
    try:
        return PersonalAnswer.model_validate(found)
    except ValidationError as exc:
        raise RetryLater(f"intake's answer does not match the contract: {exc}") from exc
