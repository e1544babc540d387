"""A citizen who wrote by PEC is answered from the Comune's PEC box, the rest from the service's
own SMTP account.

The box's outgoing account is the `smtp` of the tenant's `pec` mailbox in
deploy/tenants/<t>/mailboxes.yaml (intake reads the same file for the incoming side):

    - id: pec
      channel: pec
      smtp: {host: smtps.pec.example, port: 465, security: tls, username: protocollo,
             password_env: PEC_SMTP_PASSWORD_CASALE, sender: "protocollo@pec.comune.example"}

A tenant without one answers PEC cases from the service's account, as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from .delivery import OutgoingMessage
from .mailer import SmtpConfig, SmtpMailer

MAILBOXES_FILE = "mailboxes.yaml"
PEC = "pec"


class PecSmtp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    port: int = 465
    # "none" only for a local mail sink: a PEC provider takes TLS (465) or STARTTLS (587)
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str | None = None
    password_env: str | None = None
    sender: str

    def config(self) -> SmtpConfig:
        password = os.environ.get(self.password_env) if self.password_env else None
        return SmtpConfig(
            host=self.host,
            port=self.port,
            sender=self.sender,
            starttls=self.security == "starttls",
            tls=self.security == "tls",
            username=self.username,
            password=password,
        )


class _Mailbox(BaseModel):
    model_config = ConfigDict(extra="ignore")

    channel: str
    smtp: PecSmtp | None = None


class _TenantMailboxes(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant: str
    mailboxes: tuple[_Mailbox, ...] = ()


def load_pec_accounts(tenants_dir: Path) -> dict[str, SmtpConfig]:
    """Each tenant's PEC outgoing account, for the tenants that configured one."""
    accounts: dict[str, SmtpConfig] = {}
    for path in sorted(tenants_dir.glob(f"*/{MAILBOXES_FILE}")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        tenant = _TenantMailboxes.model_validate(document)
        for mailbox in tenant.mailboxes:
            if mailbox.channel == PEC and mailbox.smtp is not None:
                accounts[tenant.tenant] = mailbox.smtp.config()
    return accounts


class AccountMailer:
    """Sends each mail from its account: the tenant's PEC for `account == "pec"` when it has
    one, else the default."""

    def __init__(self, default: SmtpMailer, accounts: Mapping[str, SmtpMailer]) -> None:
        self._default = default
        self._accounts = dict(accounts)

    async def send(self, message: OutgoingMessage, at: datetime) -> str:
        chosen = self._accounts.get(message.tenant) if message.account == PEC else None
        return await (chosen or self._default).send(message, at)

    async def aclose(self) -> None:
        """Ends the kept SMTP sessions of every account (on the dispatcher's way out)."""
        for mailer in (self._default, *self._accounts.values()):
            await mailer.aclose()

    @classmethod
    def for_tenants(cls, default: SmtpConfig, tenants_dir: Path) -> AccountMailer:
        accounts = load_pec_accounts(tenants_dir)
        return cls(SmtpMailer(default), {t: SmtpMailer(c) for t, c in accounts.items()})
