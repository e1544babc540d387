"""A local SMTP sink: every message accepted is kept as an .eml file under a directory."""

from __future__ import annotations

import hashlib
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MaildirHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        digest = hashlib.sha256(content).hexdigest()[:16]
        name = f"{time.time_ns()}-{digest}.eml"  # sorts in arrival order
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(content)
        tmp.rename(self.directory / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def start_sink(directory: Path, port: int, host: str = "127.0.0.1") -> Controller:
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


def read_mails(directory: Path) -> list[Message]:
    return [message_from_bytes(p.read_bytes()) for p in sorted(directory.glob("*.eml"))]


def mail_summary(message: Message) -> dict[str, Any]:
    return {"to": message["To"], "subject": message["Subject"], "message_id": message["Message-ID"]}
