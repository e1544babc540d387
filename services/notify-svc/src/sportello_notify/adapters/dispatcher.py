"""The dispatcher delivers each message requested in notify's log through its channel (SMTP, SMS
provider, organization webhook; letters wait for the office). A LogFollower (shared/follower.py):
it reads from tracking row `smtp-dispatch`, one replica at a time (a lease), woken by commits.

Quiet hours: an SMS due at night is recorded `Postponed` until the tenant's morning and kept in
an in-memory schedule while the log moves on; a restarted dispatcher rebuilds the schedule from
the `Postponed` events (read by topic), so a held SMS is neither lost nor sent at night.

Exactly once, and its one known gap
-----------------------------------
A notification is marked sent only after the provider accepted the message, and it is sent only
while it is still `requested` (checked against the aggregate, read with the rest of its batch in
one query before the batch's first send, so re-reading the log after a crash never sends a settled
notification again; only the lease holder settles messages, and `mark_all_sent` saves on that
read unless the store moved on). The one window left: the process dies after the server said 250
and before its `sent` record committed: the notification is still `requested`, and the restarted
dispatcher sends it again. (Lanes that finish together commit their `sent` records in one
transaction, `mark_all_sent` behind a group commit; each lane waits for its own commit before its
next message, so at most one message per lane is ever in this window.) The copy carries the same
Message-ID `<message key@sportello>` (the notification id, plus the round after a resend), so
mail systems and clients that de-duplicate by Message-ID show it once; others show it twice.
SMTP has no idempotent submission, so the choice is between this (at least once in that window)
and marking "sending" first (at most once, a lost message in that window); for a notice to a
citizen a rare duplicate is the lesser harm. A commit that fails for a passing database error is
retried (the send is not), which keeps the window to a crash of the process or a database outage
lasting until shutdown. An erasure that lands between the batch's read and a lane's turn (under
load, a fraction of a second) does not stop that lane's message: it was read before.

The HTTP channels send the same `Idempotency-Key` on every try of a delivery, so a provider that
honours it closes this window for SMS and webhooks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from prometheus_client import Counter
from sportello_shared.batching import Batcher
from sportello_shared.bus.leases import Lease
from sportello_shared.follower import Batch, LogFollower
from sportello_shared.logging import get_logger
from sportello_shared.writer import Writer

from ..application import Accepted, NotificationNotFound, NotifyApplication
from ..domain import Channel, Notification, NotificationError, Status
from ..messages import IN_REPLY_TO, REPLY_VIA
from .delivery import OutgoingMessage, PermanentFailure, Sender, TemporaryFailure
from .dispatch_plan import Backoff, lanes_by_case, log_context, postponements, stopped_within
from .rendering import RenderingFailed, TemplateRenderer

__all__ = ["DISPATCH_POSITION", "Backoff", "Dispatcher", "Interrupted"]  # Backoff: dispatch_plan.py

DISPATCH_POSITION = "smtp-dispatch"
log = get_logger(__name__)

DELIVERIES = Counter(
    "sportello_notify_deliveries_total", "Deliveries by channel and outcome", ["channel", "outcome"]
)


class Interrupted(Exception):
    """The service is stopping in the middle of a message's retries."""


class Dispatcher(LogFollower):
    position_name = DISPATCH_POSITION
    record_interval = 1.0  # a settled notification is skipped (`_dispatch`): none sent twice

    def __init__(
        self,
        app: NotifyApplication,
        writer: Writer,
        senders: Mapping[Channel, Sender],
        lease: Lease,
        *,
        renderer: TemplateRenderer | None = None,
        backoff: Backoff | None = None,
        batch_size: int = 50,
        poll_interval: float = 1.0,
        concurrency: int = 8,
        clock: Callable[[], datetime] | None = None,
        safety_poll: float = 5.0,
    ) -> None:
        super().__init__(
            app, lease, batch_size=batch_size, poll_interval=poll_interval, safety_poll=safety_poll
        )
        self._notify = app
        self._writer = writer
        self._senders = dict(senders)
        self._renderer = renderer or TemplateRenderer()
        self._backoff = backoff or Backoff()
        self._clock = clock or app.clock
        self._concurrency = concurrency
        self._stop = asyncio.Event()
        # Lanes that finish sending at about the same time record "sent" in one transaction.
        self._sent: Batcher[Accepted, Notification] = Batcher(
            "notify-sent", writer, app.mark_all_sent
        )
        self._postponed: dict[UUID, datetime] | None = None  # loaded on the first round

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        try:
            await super().run(stop)
        except Interrupted:
            log.info("dispatcher.interrupted")
        finally:
            await self._sent.close()

    async def follow_once(self) -> int:
        await self._send_due()
        return await super().follow_once()

    async def handle_batch(self, batch: Batch) -> None:
        """Deliver a batch's messages, several cases at a time (one SMTP session each waits on the
        network, not on us), each case's messages in log order (the citizen reads the
        acknowledgment before the taking in charge). The position is recorded only after every
        message of the batch is settled or postponed; an interruption leaves it unrecorded."""
        lanes = lanes_by_case(batch)
        slots = asyncio.Semaphore(self._concurrency)
        # One query for the batch; a notification twice in it (a resend) is read again.
        ids = [i for lane in lanes for i in lane]
        read = await asyncio.to_thread(self._notify.notifications, ids)

        async def deliver_in_order(notification_ids: list[UUID]) -> None:
            async with slots:
                for notification_id in notification_ids:
                    await self._dispatch(notification_id, read.pop(notification_id, None))

        # Not a TaskGroup: a failure in one lane must not cancel another's send in flight (its
        # 250 would be lost and the message sent again); every lane runs to its end or to its
        # own interruption, then the first failure is raised.
        outcomes = await asyncio.gather(
            *(deliver_in_order(ids) for ids in lanes), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    # --- quiet hours ----------------------------------------------------------------------------

    def _due(self) -> bool:
        """A postponed SMS whose morning has come: a round now, not at the next commit."""
        return any(until <= self._clock() for until in (self._postponed or {}).values())

    async def _send_due(self) -> None:
        if self._postponed is None:
            self._postponed = await asyncio.to_thread(postponements, self._notify)
        now = self._clock()
        for notification_id, until in list(self._postponed.items()):
            if until <= now:
                del self._postponed[notification_id]
                await self._dispatch(notification_id)

    # --- one notification -----------------------------------------------------------------------

    async def _dispatch(self, notification_id: UUID, read: Notification | None = None) -> None:
        """Deliver one notification (as `read` with its batch, else read now), or raise
        Interrupted before it is settled.

        Interrupted (like a crash) leaves the batch's position unrecorded, so the notification,
        still `requested`, is picked up again: a stop never skips a message.
        """
        notification = read
        if notification is None:
            notification = await asyncio.to_thread(self._notify.get_notification, notification_id)
        if notification.status is not Status.REQUESTED:
            return  # settled before a restart re-read this part of the log
        if notification.channel is Channel.LETTER:
            return  # a task for the office, in its letter tray until it is posted
        if not notification.recipient:
            # The citizen's data was erased before this message went out: nobody to write to.
            await self._fail(notification, "the recipient's personal data was erased")
            return
        hold = self._notify.hold_until(notification, self._clock())
        if hold is not None:
            await self._postpone(notification, hold)
            return
        withdrawn = self._notify.withdrawal_reason(notification)
        if withdrawn is not None:
            log.info("dispatcher.withdrawn", reason=withdrawn, **log_context(notification))
            await self._save(self._notify.withdraw, notification.id, withdrawn, self._clock())
            return
        message = await self._message(notification)
        if message is not None:
            await self._deliver(notification, message)

    async def _postpone(self, notification: Notification, until: datetime) -> None:
        if self._postponed is not None:
            self._postponed[notification.id] = until
        if notification.postponed_until != until:
            log.info("dispatcher.postponed", notification_id=str(notification.id), until=until)
            await self._save(self._notify.postpone, notification.id, until)

    async def _message(self, notification: Notification) -> OutgoingMessage | None:
        try:
            context = self._notify.message_context(notification)
            rendered = self._renderer.render(
                notification.template,
                notification.language,
                context,
                notification.channel.value,
                notification.tenant,
            )
        except RenderingFailed as exc:
            log.error("dispatcher.rendering_failed", error=str(exc), **log_context(notification))
            await self._fail(notification, f"rendering failed: {exc}")
            return None
        return OutgoingMessage(
            notification_id=notification.id,
            message_key=notification.message_key,
            tenant=notification.tenant,
            organization=notification.organization,
            case_id=notification.case_id,
            template=notification.template,
            recipient=notification.recipient,
            subject=rendered.subject,
            body=rendered.body,
            language=notification.language,
            sender_name=context.get("sender_name", ""),
            in_reply_to=context.get(IN_REPLY_TO, ""),
            account=context.get(REPLY_VIA, ""),
        )

    async def _deliver(self, notification: Notification, message: OutgoingMessage) -> None:
        sender = self._senders.get(notification.channel)
        if sender is None:
            await self._fail(notification, f"no {notification.channel} channel configured")
            return
        context = log_context(notification)
        attempt = notification.tries_this_delivery()  # tries before a restart count too
        while True:
            attempt += 1
            try:
                reply = await sender.send(message, self._clock())
            except PermanentFailure as exc:
                log.warning("dispatcher.refused", error=str(exc), attempt=attempt, **context)
                await self._fail(notification, str(exc))
                return
            except TemporaryFailure as exc:
                if attempt >= self._backoff.max_attempts:
                    log.warning("dispatcher.gave_up", error=str(exc), attempt=attempt, **context)
                    await self._fail(notification, f"gave up after {attempt} attempts: {exc}")
                    return
                log.info("dispatcher.retry", error=str(exc), attempt=attempt, **context)
                DELIVERIES.labels(notification.channel.value, "retried").inc()
                await self._save(
                    self._notify.record_failed_attempt, notification.id, str(exc), self._clock()
                )
                if await stopped_within(self._stop, self._backoff.delay(attempt)):
                    raise Interrupted(str(notification.id)) from exc
                continue
            # The provider has the message; only now is it sent. Dying before this commit is the
            # one known window (see the module docstring): the message would go out again.
            # Group commit: the lane waits for its own commit before its next message, so each
            # lane still has at most one accepted message not yet recorded (the fault suite's
            # bound), while lanes that finish together share one transaction.
            DELIVERIES.labels(notification.channel.value, "sent").inc()
            accepted = Accepted(notification.id, reply, self._clock(), notification)
            await self._record(notification.id, partial(self._sent.submit, accepted))
            log.info("dispatcher.sent", attempt=attempt, **context)
            return

    async def _fail(self, notification: Notification, reason: str) -> None:
        DELIVERIES.labels(notification.channel.value, "failed").inc()
        await self._save(self._notify.mark_failed, notification.id, reason, self._clock())

    async def _save(self, use_case: Callable[..., Any], notification_id: UUID, *args: Any) -> None:
        """Record an outcome on the writer; a passing database error is retried, never the send."""
        await self._record(
            notification_id, partial(self._writer.call, use_case, notification_id, *args)
        )

    async def _record(self, notification_id: UUID, write: Callable[[], Awaitable[Any]]) -> None:
        delay = 0.1
        while True:
            try:
                await write()
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
                if await stopped_within(self._stop, delay):
                    raise
                delay = min(delay * 2, 5.0)
