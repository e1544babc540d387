"""One message as it arrived (bytes) → what it says: who, when, what, which files. Pure.

Parsed with the lenient `compat32` policy and decoded by hand, so a wrong charset or a broken
header degrades to readable text instead of an exception; what still cannot be read raises
`Unreadable` with the reason the quarantine keeps.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from .pec import NotCertified, read_daticert
from .text import decode, html_to_text

PEC_FILES = frozenset({"daticert.xml", "smime.p7s", "postacert.eml"})
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class Unreadable(ValueError):
    """Cannot become a case: `code` labels the metric, the message says why (kept with it)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class Part:
    name: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class MailItem:
    key: str  # the Message-ID, else a hash of the bytes: one case per message
    refers_to: tuple[str, ...]  # In-Reply-To and References: what it answers
    sent_at: datetime | None  # Date, or PEC's certified time
    sender_name: str
    sender_address: str  # PEC: the certified sender
    subject: str
    text: str
    parts: tuple[Part, ...]
    certified: bool = False
    automatic: str | None = None  # why it is no citizen's message (auto-reply, receipt, bounce)
    message_id: str | None = None  # the citizen's own Message-ID (PEC: postacert.eml's): replied to


def parse(raw: bytes) -> MailItem:
    message = email.message_from_bytes(raw)
    if not any(message.get(h) for h in ("From", "Date", "Message-ID", "Subject")):
        raise Unreadable("malformed", "nessuna intestazione di posta leggibile (From, Date...)")
    own_id = _message_id(message.get("Message-ID"))
    key = own_id or f"sha256:{hashlib.sha256(raw).hexdigest()}"
    daticert = _named_part(message, "daticert.xml")
    if daticert is not None:
        return _certified(message, daticert, key)
    name, address = _sender(message)
    subject = header_text(message.get("Subject"))
    return MailItem(
        key=key,
        refers_to=_refers_to(message),
        sent_at=_date(message.get("Date")),
        sender_name=name,
        sender_address=address,
        subject=subject,
        text=body_text(message),
        parts=tuple(attachments(message)),
        automatic=_automatic(message),
        message_id=own_id,
    )


def _certified(envelope: Message, daticert: Message, key: str) -> MailItem:
    try:
        certificate = read_daticert(_payload(daticert))
    except NotCertified as exc:
        raise Unreadable("pec_envelope", str(exc)) from exc
    receipt = (
        None if certificate.kind == "posta-certificata" else f"ricevuta PEC ({certificate.kind})"
    )
    original = _named_part(envelope, "postacert.eml")
    inner = _inner_message(original) if original is not None else None
    if inner is None and receipt is None:
        raise Unreadable("pec_envelope", "busta PEC senza postacert.eml")
    source = inner if inner is not None else envelope
    name, _ = _sender(source) if inner is not None else ("", "")
    return MailItem(
        key=key,
        refers_to=_refers_to(source),
        sent_at=certificate.certified_at,
        sender_name=name,
        sender_address=certificate.sender,
        subject=header_text(source.get("Subject")) or certificate.subject,
        text=body_text(source) if inner is not None else "",
        parts=tuple(attachments(inner)) if inner is not None else (),
        certified=True,
        automatic=receipt,
        message_id=_message_id(inner.get("Message-ID")) if inner is not None else None,
    )


def _inner_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    data = part.get_payload(decode=True)
    return email.message_from_bytes(data) if isinstance(data, bytes) and data else None


def header_text(value: object) -> str:
    """An RFC 2047 header as text, each encoded word in its charset (or the best guess)."""
    if value is None:
        return ""
    try:
        chunks = decode_header(str(value))
    except Exception:  # a header too broken to split: its raw text
        return " ".join(str(value).split())
    text = "".join(
        decode(chunk, charset) if isinstance(chunk, bytes) else chunk for chunk, charset in chunks
    )
    return " ".join(text.split())


def _message_id(value: object) -> str | None:
    found = MESSAGE_ID.search(str(value or ""))
    return found.group(0) if found else None


def _refers_to(message: Message) -> tuple[str, ...]:
    ids = MESSAGE_ID.findall(f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    return tuple(dict.fromkeys(ids))


def _sender(message: Message) -> tuple[str, str]:
    for name, address in getaddresses([header_text(message.get("From"))]):
        if "@" in address:
            return name.strip(), address.strip().lower()
    return "", ""


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _automatic(message: Message) -> str | None:
    """RFC 3834 auto-replies, delivery reports, PEC receipts: nobody wrote them."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto != "no":
        return f"risposta automatica (Auto-Submitted: {auto})"
    if message.get_content_type() == "multipart/report":
        return "rapporto di consegna"
    if message.get("X-Ricevuta"):
        return f"ricevuta PEC ({message.get('X-Ricevuta')})"
    return None


def _named_part(message: Message, name: str) -> Message | None:
    for part in message.walk():
        if (part.get_filename() or "").lower() == name:
            return part
    return None


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
    if disposition == "attachment" or part.get_filename():
        return True
    return part.get_content_maintype() not in ("text", "multipart", "message")


def body_text(message: Message) -> str:
    """The first plain-text part; else the first HTML part as text."""
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        if part.get_content_type() == "text/plain" and plain is None:
            plain = decode(_payload(part), part.get_content_charset())
        elif part.get_content_type() == "text/html" and html is None:
            html = decode(_payload(part), part.get_content_charset())
    if plain is not None and plain.strip():
        return plain
    return html_to_text(html) if html else ""


def attachments(message: Message) -> list[Part]:
    found = []
    for part in message.walk():
        if part.is_multipart() or not _is_attachment(part):
            continue
        name = header_text(part.get_filename() or "") or "allegato"
        if name.lower() in PEC_FILES:
            continue
        found.append(Part(name, part.get_content_type(), _payload(part)))
    return found
