"""How the citizen can be reached, and a message deliberately not sent. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .delivery_terms import Channel


@dataclass(frozen=True)
class Contact:
    """How the citizen can be reached; personal data, never published."""

    email: str | None = None
    phone: str | None = None
    address: str | None = None

    def preferred(self) -> tuple[Channel, str] | None:
        """E-mail first (free, carries the whole text), then SMS, then a letter by post."""
        if self.email:
            return Channel.EMAIL, self.email
        if self.phone:
            return Channel.SMS, self.phone
        if self.address:
            return Channel.LETTER, self.address
        return None


@dataclass(frozen=True)
class Skipped:
    """A message deliberately not sent, and why (e.g. the event was too old)."""

    template: str
    trigger_event_id: str
    reason: str
    at: datetime
