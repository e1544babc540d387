"""The SMTP dispatcher: follows notify's own notification log and mails each requested message.

A LogFollower like the outbox relay: it reads the log in order from a position kept as tracking
row `smtp-dispatch` in the service's own store, holds a lease so one replica dispatches at a time,
is woken after each commit and polls as a fallback.

Exactly once, and its one known gap
-----------------------------------
A notification is marked sent only after the SMTP server accepted the message, and it is sent only
while it is still `requested` (checked against the aggregate before sending, so re-reading the log
after a crash never sends a settled notification again). The one window left: the process dies
after the server said 250 and before `mark_sent` committed. The notification is then still
`requested`, and the restarted dispatcher sends it a second time. The copy carries the same
Message-ID `<notification id@sportello>`, so mail systems and clients that de-duplicate by
Message-ID show it once; others show it twice. SMTP has no idempotent submission, so the choice is
between this (at least once in that window) and marking "sending" first (at most once, a lost
message in that window); for a notice to a citizen a rare duplicate is the lesser harm. A commit
that fails for a passing database error is retried (the send is not), which keeps the window to a
crash of the process or a database outage lasting until shutdown.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from prometheus_client import Counter
from sportello_shared.application import Writer
from sportello_shared.bus.leases import Lease
from sportello_shared.follower import Batch, LogFollower
from sportello_shared.logging import get_logger

from ..application import NotificationNotFound, NotifyApplication
from ..domain import Notification, NotificationError, Status
from .mailer import OutgoingMail, PermanentFailure, TemporaryFailure
from .rendering import RenderingFailed, TemplateRenderer

DISPATCH_POSITION = "smtp-dispatch"

log = get_logger(__name__)

MAILS = Counter("sportello_notify_mails_total", "SMTP deliveries by outcome", ["outcome"])


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail, at: datetime) -> str: ...


@dataclass(frozen=True)
class Backoff:
    """Bounded exponential backoff with jitter between tries of one message."""

    max_attempts: int = 5
    base: float = 1.0
    cap: float = 60.0

    def delay(self, failed_attempts: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** (failed_attempts - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography


class Interrupted(Exception):
    """The service is stopping in the middle of a message's retries."""


class Dispatcher(LogFollower):
    position_name = DISPATCH_POSITION

    def __init__(
        self,
        app: NotifyApplication,
        writer: Writer,
        mailer: Mailer,
        lease: Lease,
        *,
        renderer: TemplateRenderer | None = None,
        backoff: Backoff | None = None,
        batch_size: int = 50,
        poll_interval: float = 1.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(app, lease, batch_size=batch_size, poll_interval=poll_interval)
        self._notify = app
        self._writer = writer
        self._mailer = mailer
        self._renderer = renderer or TemplateRenderer()
        self._backoff = backoff or Backoff()
        self._clock = clock or app.clock
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        try:
            await super().run(stop)
        except Interrupted:
            log.info("dispatcher.interrupted")

    async def handle_batch(self, batch: Batch) -> None:
        for _, domain_event in batch:
            if isinstance(domain_event, Notification.Requested):
                await self._dispatch(UUID(str(domain_event.originator_id)))

    async def _dispatch(self, notification_id: UUID) -> None:
        """Deliver one notification, or raise Interrupted before it is settled.

        Interrupted (like a crash) leaves the batch's position unrecorded, so the notification,
        still `requested`, is picked up again: a stop never skips a message.
        """
        notification: Notification = await asyncio.to_thread(
            self._notify.get_notification, notification_id
        )
        if notification.status is not Status.REQUESTED:
            return  # settled before a restart re-read this part of the log
        context = {
            "notification_id": str(notification.id),
            "case_id": notification.case_id,
            "template": notification.template,
        }
        try:
            rendered = self._renderer.render(
                notification.template, notification.language, notification.context
            )
        except RenderingFailed as exc:
            log.error("dispatcher.rendering_failed", error=str(exc), **context)
            MAILS.labels("failed").inc()
            await self._save(self._notify.mark_failed, notification_id, f"rendering failed: {exc}")
            return
        mail = OutgoingMail(
            notification_id=notification.id,
            recipient=notification.recipient,
            subject=rendered.subject,
            body=rendered.body,
            language=notification.language,
        )
        attempt = notification.attempts  # tries recorded before a restart count towards the bound
        while True:
            attempt += 1
            try:
                reply = await self._mailer.send(mail, self._clock())
            except PermanentFailure as exc:
                log.warning("dispatcher.refused", error=str(exc), attempt=attempt, **context)
                MAILS.labels("failed").inc()
                await self._save(self._notify.mark_failed, notification_id, str(exc))
                return
            except TemporaryFailure as exc:
                if attempt >= self._backoff.max_attempts:
                    log.warning("dispatcher.gave_up", error=str(exc), attempt=attempt, **context)
                    MAILS.labels("failed").inc()
                    reason = f"gave up after {attempt} attempts: {exc}"
                    await self._save(self._notify.mark_failed, notification_id, reason)
                    return
                log.info("dispatcher.retry", error=str(exc), attempt=attempt, **context)
                MAILS.labels("retried").inc()
                await self._save(self._notify.record_failed_attempt, notification_id, str(exc))
                if await self._stopped_within(self._backoff.delay(attempt)):
                    raise Interrupted(str(notification_id)) from exc
                continue
            # The server has the message; only now is it sent. Dying before this commit is the
            # one known window (see the module docstring): the message would go out again.
            MAILS.labels("sent").inc()
            await self._save(self._notify.mark_sent, notification_id, reply)
            log.info("dispatcher.sent", attempt=attempt, **context)
            return

    async def _save(self, use_case: Callable[..., Any], notification_id: UUID, text: str) -> None:
        """Record the outcome on the writer; a passing database error is retried, never the send."""
        delay = 0.1
        while True:
            try:
                await self._writer.call(use_case, notification_id, text, self._clock())
                return
            except (NotificationError, NotificationNotFound) as exc:
                log.error(
                    "dispatcher.not_recorded", notification_id=str(notification_id), error=str(exc)
                )
                return
            except Exception as exc:
                if self._stop.is_set():
                    raise
                log.warning(
                    "dispatcher.record_retry", notification_id=str(notification_id), error=repr(exc)
                )
                if await self._stopped_within(delay):
                    raise
                delay = min(delay * 2, 5.0)

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True
