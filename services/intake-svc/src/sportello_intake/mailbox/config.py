"""The mailboxes a city points at Sportello (deploy/tenants/<t>/mailboxes.yaml): which channel
each one is, how to reach it over IMAP, and how to read the telephone system's notices."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

MAILBOXES_FILE = "mailboxes.yaml"
MB = 1024 * 1024

# Asterisk / FreePBX (VM_CALLERID is `"Name" <number>` or a bare number), in English and Italian.
ASTERISK_CALLER = (
    r'\b(?:from|da)\s+(?:"(?P<name>[^"<>]*)"\s*)?<?(?P<number>\+?[0-9][0-9 ./-]{4,}[0-9])>?'
)
# Fax gateways (HylaFAX, t38modem, multifunction printers) name the sending number in the subject.
FAX_CALLER = r"(?i)\b(?:fax|mittente|from|da)\b\D{0,20}(?P<number>\+?[0-9][0-9 ./-]{4,}[0-9])"
DEFAULT_PATTERNS: dict[str, tuple[str, ...]] = {
    "voicemail": (ASTERISK_CALLER,),
    "fax": (FAX_CALLER,),
}

ALLOWED_TYPES = (
    "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/mpeg", "audio/mp3",
    "audio/ogg", "audio/gsm", "audio/x-gsm", "audio/mp4",
    "application/pdf", "image/tiff", "image/jpeg", "image/png", "image/gif", "image/heic",
    "image/webp", "text/plain",
)  # fmt: skip


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ImapAccount(_Frozen):
    """A production mailbox: IMAP over TLS (993), or STARTTLS on 143; never in clear."""

    host: str
    port: int = 993
    security: Literal["tls", "starttls"] = "tls"
    username: str
    password_env: str = Field(description="the environment variable holding the password")
    ca_file: Path | None = Field(default=None, description="a private CA to trust, if any")
    folder: str = "INBOX"
    processed_folder: str | None = Field(
        default=None, description="taken-in messages move here; unset: flagged in place"
    )
    quarantine_folder: str = "Sportello-Quarantena"
    idle_seconds: float = Field(default=300.0, gt=0, le=29 * 60)

    def password(self) -> str:
        value = os.environ.get(self.password_env)
        if not value:
            raise LookupError(f"{self.password_env} is not set: no password for {self.username}")
        return value


class Mailbox(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    channel: Literal["email", "pec", "voicemail", "fax"]
    address: str = Field(default="", description="the address the city publishes (docs only)")
    kind: Literal[
        "segnalazione", "reclamo", "suggerimento", "richiesta_informazioni", "richiesta_intervento"
    ] = "segnalazione"
    caller_patterns: tuple[str, ...] = Field(
        default=(), description="regexes with groups `number` and optionally `name`"
    )
    max_attachment_mb: float = Field(default=20, gt=0, le=100)
    max_message_mb: float = Field(default=60, gt=0, le=200)
    allowed_types: tuple[str, ...] = ALLOWED_TYPES
    imap: ImapAccount | None = None
    # a PEC box's outgoing account: notify-svc answers PEC cases through it (its adapters/pec.py)
    smtp: dict[str, Any] | None = None

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.caller_patterns or DEFAULT_PATTERNS.get(self.channel, ())

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.max_attachment_mb * MB)

    @property
    def max_message_bytes(self) -> int:
        return int(self.max_message_mb * MB)


class TenantMailboxes(_Frozen):
    tenant: str
    mailboxes: tuple[Mailbox, ...] = ()


@cache
def load_mailboxes(tenants_dir: Path) -> tuple[TenantMailboxes, ...]:
    """Every tenant's mailboxes.yaml (a tenant without one takes no mail)."""
    found = []
    for path in sorted(tenants_dir.glob(f"*/{MAILBOXES_FILE}")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.append(TenantMailboxes.model_validate(document))
    return tuple(found)
