"""Kept SMTP sessions against a real SMTP server (aiosmtpd): a burst of mail shares its
connections, and a session that failed or that the server closed is never used again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sportello_devstack.mailsink import MaildirHandler
from sportello_devstack.natsserver import free_port
from sportello_notify.adapters.delivery import OutgoingMessage, PermanentFailure
from sportello_notify.adapters.mailer import SmtpConfig, SmtpMailer
from sportello_notify.adapters.smtp_sessions import SmtpSessions

from .conftest import SmtpServer

AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class CountingSessions(MaildirHandler):
    """Keeps every message and counts the sessions (one EHLO each)."""

    def __init__(self, directory: Path, refuse: str = "") -> None:
        super().__init__(directory)
        self.sessions = 0
        self.refuse = refuse

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.refuse or await super().handle_DATA(server, session, envelope)


def sink(directory: Path, refuse: str = "", idle_timeout: float = 300) -> Iterator[SmtpServer]:
    handler = CountingSessions(directory, refuse)
    port = free_port()
    # `timeout`: the server's own idle timeout, after which it ends the session (421)
    controller = Controller(handler, hostname="127.0.0.1", port=port, timeout=idle_timeout)
    controller.start()
    yield SmtpServer(port, directory, handler)
    controller.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    yield from sink(tmp_path / "mail")


def mail(number: int) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=uuid4(),
        message_key=f"key-{number}-{uuid4()}",
        tenant="pisa",
        organization=None,
        case_id=f"case-{number}",
        template="acknowledged",
        recipient=f"cittadino{number}@example.org",
        subject=f"Segnalazione PI-2026-{number:06d} ricevuta",
        body="Gentile cittadino,\n\nabbiamo ricevuto la sua segnalazione.\n",
        language="it",
    )


def mailer(server: SmtpServer) -> SmtpMailer:
    return SmtpMailer(SmtpConfig(port=server.port, timeout=5))


async def test_a_burst_of_mail_goes_through_one_session(server: SmtpServer) -> None:
    smtp = mailer(server)
    replies = [await smtp.send(mail(n), AT) for n in range(5)]
    await smtp.aclose()

    assert all(reply.startswith("250 ") for reply in replies)
    assert [m["To"] for m in server.mails()] == [f"cittadino{n}@example.org" for n in range(5)]
    assert len({m["Message-ID"] for m in server.mails()}) == 5
    assert server.handler.sessions == 1
    assert smtp.sessions.opened == 1


async def test_concurrent_sends_each_have_a_session_and_keep_it_for_the_next_burst(
    server: SmtpServer,
) -> None:
    smtp = mailer(server)
    await asyncio.gather(*(smtp.send(mail(n), AT) for n in range(6)))
    first_burst = smtp.sessions.opened
    await asyncio.gather(*(smtp.send(mail(n), AT) for n in range(6, 12)))
    await smtp.aclose()

    assert len(server.mails()) == 12
    assert 1 <= first_burst <= 6
    assert smtp.sessions.opened == first_burst  # the second burst opened nothing new
    assert server.handler.sessions == first_burst


async def test_a_session_the_server_ended_while_idle_is_replaced(tmp_path: Path) -> None:
    for server in sink(tmp_path / "mail", idle_timeout=0.3):
        smtp = mailer(server)
        await smtp.send(mail(1), AT)
        await asyncio.sleep(1.0)  # the server says 421 and hangs up
        await smtp.send(mail(2), AT)  # no failure: the dead session is dropped when taken
        await smtp.aclose()

        assert len(server.mails()) == 2
        assert smtp.sessions.opened == 2
        assert server.handler.sessions == 2


async def test_a_refused_message_closes_its_session(tmp_path: Path) -> None:
    for server in sink(tmp_path / "mail", refuse="550 5.7.1 Message rejected"):
        smtp = mailer(server)
        for n in range(2):
            with pytest.raises(PermanentFailure, match="550"):
                await smtp.send(mail(n), AT)
        await smtp.aclose()

        assert smtp.sessions.opened == 2
        assert server.handler.sessions == 2
        assert server.mails() == []


async def test_a_session_idle_longer_than_max_idle_is_closed_not_reused(
    server: SmtpServer,
) -> None:
    now = [0.0]
    smtp = mailer(server)
    sessions = SmtpSessions(smtp._connect, max_idle=30.0, clock=lambda: now[0])
    for elapsed in (0.0, 10.0, 45.0):  # 10 s idle: reused; 35 s idle: a new session
        now[0] = elapsed
        async with sessions.session() as client:
            await client.sendmail(
                "noreply@example.org", ["a@example.org"], b"Subject: x\r\n\r\nx\r\n"
            )
    await sessions.aclose()

    assert sessions.opened == 2
    assert len(server.mails()) == 3
    assert server.handler.sessions == 2
