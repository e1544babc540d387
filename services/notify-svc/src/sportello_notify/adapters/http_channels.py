"""SMS through an HTTP provider, and organizations' webhooks: a JSON POST, judged by its status.

2xx is accepted. 408, 425, 429 and 5xx are temporary (retried with backoff); any other status is
a permanent refusal. Both carry an `Idempotency-Key` that is the same on every try of one
delivery, so a provider that honours it closes the crash-after-accept window SMTP leaves open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from .delivery import OutgoingMessage, PermanentFailure, TemporaryFailure, redact

TEMPORARY_STATUSES = {408, 425, 429}
SIGNATURE_HEADER = "X-Sportello-Signature"


async def post_json(
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    *,
    timeout: float,
    recipient: str,
) -> str:
    """POSTs `body`; returns "<status> <reply>" once accepted, raises DeliveryError otherwise."""
    content = json.dumps(body, ensure_ascii=False).encode()
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(
                url, content=content, headers={"Content-Type": "application/json", **headers}
            )
    except httpx.HTTPError as exc:  # refused, reset, timed out: the message was not accepted
        raise TemporaryFailure(redact(f"{type(exc).__name__}: {exc}", recipient)) from exc
    reply = redact(f"{response.status_code} {response.text[:200]}".strip(), recipient)
    if response.is_success:
        return reply
    if response.status_code in TEMPORARY_STATUSES or response.status_code >= 500:
        raise TemporaryFailure(reply)
    raise PermanentFailure(reply)


def sign(secret: str, content: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SmsConfig:
    endpoint: str | None = None
    token: str | None = None
    sender: str = "Sportello"
    timeout: float = 10.0


class HttpSmsSender:
    """The provider receives {to, from, text, reference} and answers 2xx once it has the SMS."""

    def __init__(self, config: SmsConfig) -> None:
        self._config = config

    async def send(self, message: OutgoingMessage, at: datetime) -> str:
        config = self._config
        if not config.endpoint:
            raise PermanentFailure("no SMS provider configured (SMS_ENDPOINT)")
        headers = {"Idempotency-Key": message.message_key}
        if config.token:
            headers["Authorization"] = f"Bearer {config.token}"
        body = {
            "to": message.recipient,
            "from": config.sender,
            "text": message.body,
            "reference": message.message_key,
        }
        return await post_json(
            config.endpoint,
            body,
            headers,
            timeout=config.timeout,
            recipient=message.recipient,
        )


SecretFor = Callable[[str, str | None], str | None]


class WebhookSender:
    """An organization's own system receives the message as JSON, signed when it has a secret."""

    def __init__(self, secret_for: SecretFor, timeout: float = 10.0) -> None:
        self._secret_for = secret_for
        self._timeout = timeout

    async def send(self, message: OutgoingMessage, at: datetime) -> str:
        body = {
            "notification_id": str(message.notification_id),
            "case_id": message.case_id,
            "tenant": message.tenant,
            "organization": message.organization,
            "template": message.template,
            "subject": message.subject,
            "text": message.body,
            "language": message.language,
            "sent_at": at.isoformat(),
        }
        headers = {"Idempotency-Key": message.message_key}
        secret = self._secret_for(message.tenant, message.organization)
        if secret:
            # The receiver checks this over the exact bytes it got; json.dumps is deterministic.
            headers[SIGNATURE_HEADER] = sign(secret, json.dumps(body, ensure_ascii=False).encode())
        return await post_json(
            message.recipient, body, headers, timeout=self._timeout, recipient=message.recipient
        )
