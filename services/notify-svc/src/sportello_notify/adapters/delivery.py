"""What every channel shares: the message handed to a provider, and what a refusal means.

A temporary failure is worth another try (4xx SMTP, 5xx/429 HTTP, refused connection, timeout);
a permanent one is not (5xx SMTP, 4xx HTTP). Replies and errors are kept and published, so
addresses are scrubbed from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

EMAIL_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
REDACTED = "[address]"


class DeliveryError(Exception):
    """The provider did not take the message."""


class TemporaryFailure(DeliveryError):
    """Worth another try later."""


class PermanentFailure(DeliveryError):
    """Trying again will not help."""


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: UUID
    message_key: str  # the same for every try of one delivery: Message-ID, idempotency key
    tenant: str
    organization: str | None
    case_id: str
    template: str
    recipient: str
    subject: str
    body: str
    language: str
    sender_name: str = ""  # the Comune's name, shown as the mail's sender
    in_reply_to: str = ""  # the citizen's message this mail answers (In-Reply-To, References)
    account: str = ""  # the tenant's account it leaves from ("pec"), else the service's own


class Sender(Protocol):
    async def send(self, message: OutgoingMessage, at: datetime) -> str:
        """The provider's reply once it accepted the message; raises DeliveryError."""
        ...


def redact(text: str, recipient: str | None = None) -> str:
    """Providers echo addresses in replies ("550 <x@y>: unknown user"); we keep no such copies.

    A phone number has no shape to search for safely, so the recipient's own is removed as given
    and as bare digits.
    """
    text = EMAIL_ADDRESS.sub(REDACTED, text)
    if recipient:
        digits = "".join(c for c in recipient if c.isdigit())
        for form in sorted({recipient, digits, digits.removeprefix("39")} - {""}, key=len)[::-1]:
            text = text.replace(form, REDACTED)
    return text
