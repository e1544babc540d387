"""A citizen who wrote by PEC is answered from the Comune's PEC box (the `smtp` of the tenant's
`pec` mailbox in mailboxes.yaml); the same tenant's e-mail cases from the service's account.
Two real SMTP sinks (devstack's), the dispatcher, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml
from sportello_devstack.mailsink import MaildirHandler
from sportello_notify.adapters.dispatcher import Backoff, Dispatcher
from sportello_notify.adapters.mailer import SmtpConfig, SmtpMailer
from sportello_notify.adapters.pec import AccountMailer, load_pec_accounts
from sportello_notify.application import NotifyApplication
from sportello_notify.domain import Channel
from sportello_shared.bus.leases import FileLockLease
from sportello_shared.writer import Writer

from .conftest import TENANTS_DIR, SmtpServer, case_story, make_app, start_smtp

PEC_SENDER = "protocollo@pec.comune.casale-monferrato.example"
CITIZEN_PEC = "mario.rossi@pec.example.it"
POSTACERT_ID = "<postacert-4711@pec.example.it>"


@pytest.fixture
def pec_sink(tmp_path: Path) -> Iterator[SmtpServer]:
    directory = tmp_path / "pec-mail"
    server, controller = start_smtp(MaildirHandler(directory), directory)
    yield server
    controller.stop()


@pytest.fixture
def default_sink(tmp_path: Path) -> Iterator[SmtpServer]:
    directory = tmp_path / "mail"
    server, controller = start_smtp(MaildirHandler(directory), directory)
    yield server
    controller.stop()


def with_pec_account(tmp_path: Path, account: dict[str, object]) -> Path:
    """A tenants dir whose Casale mailboxes.yaml gives its PEC box this outgoing account."""
    copy = tmp_path / "tenants" / "casale-monferrato"
    copy.mkdir(parents=True, exist_ok=True)
    document = yaml.safe_load((TENANTS_DIR / "casale-monferrato" / "mailboxes.yaml").read_text())
    for mailbox in document["mailboxes"]:
        if mailbox["channel"] == "pec":
            mailbox["smtp"] = account
    (copy / "mailboxes.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return tmp_path / "tenants"


@pytest.fixture
def tenants_dir(tmp_path: Path, pec_sink: SmtpServer) -> Path:
    """The PEC box's account on the PEC sink (which, like devstack's, asks no login)."""
    # "none": the local sink only; a PEC provider takes TLS (465) or STARTTLS
    account = {"host": "127.0.0.1", "port": pec_sink.port, "security": "none"}
    return with_pec_account(tmp_path, account | {"sender": PEC_SENDER})


@pytest.fixture
def app(store: dict[str, str]) -> Iterator[NotifyApplication]:
    application = make_app(store)
    yield application
    application.close()


@pytest.fixture
async def writer() -> AsyncIterator[Writer]:
    writer = Writer("test")
    yield writer
    writer.shutdown()


def test_the_pec_account_is_read_from_the_tenant_s_mailboxes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEC_SMTP_PASSWORD_CASALE", "segreto")
    account = {"host": "smtps.pec.example", "username": "protocollo", "sender": PEC_SENDER}
    tenants = with_pec_account(tmp_path, account | {"password_env": "PEC_SMTP_PASSWORD_CASALE"})
    pec = load_pec_accounts(tenants)["casale-monferrato"]
    assert (pec.host, pec.port, pec.tls, pec.starttls) == ("smtps.pec.example", 465, True, False)
    assert (pec.sender, pec.username, pec.password) == (PEC_SENDER, "protocollo", "segreto")


async def test_a_pec_case_is_answered_from_the_tenant_s_pec_box(
    app: NotifyApplication,
    writer: Writer,
    tenants_dir: Path,
    pec_sink: SmtpServer,
    default_sink: SmtpServer,
    tmp_path: Path,
) -> None:
    by_pec = case_story(
        email=CITIZEN_PEC, tenant="casale-monferrato", channel="pec", in_reply_to=POSTACERT_ID
    )
    by_mail = case_story(
        email="anna.verdi@example.org", tenant="casale-monferrato", channel="email",
        first_notification_id=10,
    )  # fmt: skip
    for story in (by_pec, by_mail):
        app.process_incoming(story.received.incoming, story.received.tracking)
    mailer = AccountMailer.for_tenants(SmtpConfig(port=default_sink.port, timeout=5), tenants_dir)
    dispatcher = Dispatcher(
        app,
        writer,
        {Channel.EMAIL: mailer},
        FileLockLease(tmp_path / "dispatch.lock"),
        backoff=Backoff(max_attempts=2, base=0.01, cap=0.05),
    )
    while await dispatcher.follow_once():
        pass

    sent = [n.status.value for s in (by_pec, by_mail) for n in app.notifications_for(s.case_id)]
    assert sent == ["sent", "sent"], [n.last_error for n in app.notifications_for(by_pec.case_id)]
    [from_pec] = pec_sink.mails()
    assert from_pec["To"] == CITIZEN_PEC and PEC_SENDER in from_pec["From"]
    assert from_pec["In-Reply-To"] == POSTACERT_ID and "TO-2026-000042" in from_pec["Subject"]
    [from_service] = default_sink.mails()
    assert from_service["To"] == "anna.verdi@example.org"
    assert PEC_SENDER not in from_service["From"]
    # without a PEC account the same case leaves from the service's account, as before
    plain = AccountMailer(SmtpMailer(SmtpConfig(port=default_sink.port, timeout=5)), {})
    [notification] = app.notifications_for(by_pec.case_id)
    message = await dispatcher._message(notification)
    assert message is not None and message.account == "pec"
    await plain.send(message, notification.requested_at)
    assert [m["To"] for m in default_sink.mails()] == ["anna.verdi@example.org", CITIZEN_PEC]
