"""The one mail the site sends itself: the link that confirms the author's address."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from .messages import CATALOGUE


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str


async def send_confirmation(
    smtp: SmtpSettings, to: str, name: str, lang: str, tenant_name: str, link: str
) -> None:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = CATALOGUE.get(lang, "mail.subject", tenant=tenant_name)
    message.set_content(CATALOGUE.get(lang, "mail.body", name=name, link=link, tenant=tenant_name))
    await aiosmtplib.send(message, hostname=smtp.host, port=smtp.port, timeout=10)
