"""E-mail through an SMTP server (aiosmtplib): the message, and what the server's reply means.

A 5xx reply is a permanent refusal; a 4xx reply, a refused connection or a timeout is temporary
and worth retrying.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib

from .delivery import DeliveryError, OutgoingMessage, PermanentFailure, TemporaryFailure, redact
from .mail_wire import configured_sender, wire_bytes
from .smtp_sessions import SmtpSessions


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "Sportello <noreply@sportello.example>"
    starttls: bool = False
    tls: bool = False  # implicit TLS from the first byte (465), as PEC providers offer
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")


def message_id(message_key: str) -> str:
    """Deterministic: every try of one delivery carries the same Message-ID."""
    return f"<{message_key}@sportello>"


# Python's default folding at 78 columns splits an accented word into an empty encoded word
# (`=?utf-8?q??=`); RFC 5322 allows lines up to 998 characters, so subjects stay in one piece.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)


def with_display_name(sender: str, name: str) -> str:
    """The configured address under the Comune's name ("Comune di Pisa <noreply@...>")."""
    if not name:
        return sender
    return formataddr((name, parseaddr(sender)[1]))


def reply_to(mail: OutgoingMessage) -> str:
    """The citizen's Message-ID this mail answers, if it is one ("" otherwise)."""
    return mail.in_reply_to if MESSAGE_ID.fullmatch(mail.in_reply_to) else ""


def build_message(mail: OutgoingMessage, sender: str, at: datetime) -> EmailMessage:
    """The message through the `email` package: for what `mail_wire` does not write itself."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = with_display_name(sender, mail.sender_name)
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id(mail.message_key)
    if reply_to(mail):  # the citizen wrote by mail: this answers it
        message["In-Reply-To"] = mail.in_reply_to
        message["References"] = mail.in_reply_to
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message.set_content(mail.body, charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = mail.language  # after set_content, which clears Content-*
    return message


class SmtpMailer:
    """Sends through kept sessions (smtp_sessions.py): a burst of mail shares its connections."""

    def __init__(self, config: SmtpConfig, keep: int = 8) -> None:
        self._config = config
        self.sessions = SmtpSessions(self._connect, keep=keep)

    def _client(self) -> aiosmtplib.SMTP:
        config = self._config
        return aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            start_tls=config.starttls,
            use_tls=config.tls,
            username=config.username,
            password=config.password,
            timeout=config.timeout,
        )

    async def _connect(self) -> aiosmtplib.SMTP:
        client = self._client()
        await client.connect()  # STARTTLS and AUTH as configured, once per session
        return client

    async def send(self, mail: OutgoingMessage, at: datetime) -> str:
        """Returns the server's reply once it accepted the message; raises DeliveryError."""
        config = self._config
        try:
            raw = wire_bytes(
                mail, config.sender, at, message_id=message_id(mail.message_key),
                in_reply_to=reply_to(mail),
            )  # fmt: skip
            if raw is None:
                # Not the plain shape (e.g. an address that needs SMTPUTF8): `email` builds it
                # and aiosmtplib reads the envelope from its headers, on a session of its own.
                async with self._client() as client:
                    _, reply = await client.send_message(build_message(mail, config.sender, at))
            else:
                async with self.sessions.session() as client:
                    sender = configured_sender(config.sender)[1]
                    _, reply = await client.sendmail(sender, [mail.recipient], raw)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            raise _by_code(min(codes, default=550), f"recipient refused: {detail}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, f"{type(exc).__name__}: {exc.code} {exc.message}") from exc
        except ValueError as exc:
            # An address or header that cannot be sent as it is: no retry will change that.
            raise PermanentFailure(redact(f"unsendable message: {exc}")) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Connection refused or lost, timeouts, TLS trouble: the message was not accepted.
            raise TemporaryFailure(redact(f"{type(exc).__name__}: {exc}")) from exc
        # aiosmtplib hands back the text of the reply to DATA, whose only success code is 250.
        return redact(f"250 {reply}")

    async def aclose(self) -> None:
        await self.sessions.aclose()


def _by_code(code: int, text: str) -> DeliveryError:
    text = redact(text)
    return PermanentFailure(text) if code >= 500 else TemporaryFailure(text)
