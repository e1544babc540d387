"""The mailbox worker: every configured mailbox of every tenant read in turn, one replica at a
time each (a lease), each message committed before it leaves the queue; counted in /metrics.

A mailbox that fails (server down, wrong password) is retried with a growing pause without
stopping the others; a message that cannot be read is quarantined and the next one goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import Counter
from sportello_shared.outages import outage

from .attachments import AttachmentStore
from .config import Mailbox, load_mailboxes
from .parsing import Unreadable
from .reaping import reap_attachments
from .sources import Source, TooLarge, source_for
from .taking import MailIntake

if TYPE_CHECKING:
    from sportello_shared.runtime import Runtime

    from ..application import IntakeApplication

log = structlog.get_logger()

MESSAGES = Counter(
    "sportello_mailbox_messages_total",
    "Messages taken in from the mailboxes, by what they became",
    ["tenant", "mailbox", "outcome"],  # registered, duplicate, reply, ignored, quarantined
)
QUARANTINED = Counter(
    "sportello_mailbox_quarantined_total",
    "Messages that could not be read and went to the quarantine folder",
    ["tenant", "mailbox", "reason"],
)
FAILURES = Counter(
    "sportello_mailbox_failures_total",
    "Mailbox connections or reads that failed",
    ["tenant", "mailbox"],
)
CHUNK = 32  # messages taken in together: their cases share one commit
ATTEMPTS = 3  # a message that fails this often for no outage is quarantined


async def take_in_mailboxes(runtime: Runtime[IntakeApplication], stop: asyncio.Event) -> None:
    settings: Any = runtime.settings
    kind = settings.mailbox_source
    configured = load_mailboxes(settings.tenants_dir)
    store = AttachmentStore(settings.attachment_dir or settings.data_dir / "attachments")
    loops = [reap_attachments(runtime, store, stop)]
    if kind != "off":
        intake = MailIntake(
            runtime.app,
            runtime.writer,
            runtime.batcher("registrations", runtime.app.register_cases),
            store,
            lambda: datetime.now(UTC),
        )
        inbox = settings.inbox_dir or settings.data_dir / "inbox"
        for tenant in configured:
            for mailbox in tenant.mailboxes:
                source = source_for(mailbox, kind, inbox, tenant.tenant)
                if source is not None:
                    reader = MailboxReader(runtime, intake, tenant.tenant, mailbox, source)
                    loops.append(reader.run(stop))
    log.info("mailboxes.started", source=kind, mailboxes=len(loops) - 1)
    await asyncio.gather(*loops, stop.wait())


class MailboxReader:
    def __init__(
        self,
        runtime: Runtime[IntakeApplication],
        intake: MailIntake,
        tenant: str,
        mailbox: Mailbox,
        source: Source,
    ) -> None:
        self.runtime = runtime
        self.intake = intake
        self.tenant = tenant
        self.mailbox = mailbox
        self.source = source
        self.failed: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        pause = 0.5
        while not stop.is_set():
            lease = self.runtime.lease(f"mailbox-{self.tenant}-{self.mailbox.id}")
            await lease.acquire()
            try:
                await self.source.open()
                pause = 0.5
                while not stop.is_set():
                    await self.drain()
                    await self.source.wait(stop)
            except Exception as exc:  # the server, the network, the store: try again later
                FAILURES.labels(self.tenant, self.mailbox.id).inc()
                log.warning("mailbox.failed", **self._where(), error=repr(exc), retry_in_s=pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=pause)
                pause = min(pause * 2, 60.0)
            finally:
                await self.source.close()
                await lease.release()

    async def drain(self) -> None:
        """Every waiting message, CHUNK at a time."""
        while handles := await self.source.pending():
            results = await asyncio.gather(*(self.one(h) for h in handles[:CHUNK]))
            if not any(results):  # each one failed: leave them for the next round
                return

    async def one(self, handle: str) -> bool:
        """True once the message left the queue (taken in or quarantined)."""
        try:
            raw, arrived_at = await self.source.read(handle, self.mailbox.max_message_bytes)
            taken = await self.intake.take_in(self.tenant, self.mailbox, raw, arrived_at)
        except TooLarge as exc:
            await self._quarantine(handle, "too_large", f"messaggio troppo grande: {exc}")
            return True
        except Unreadable as exc:
            await self._quarantine(handle, exc.code, str(exc))
            return True
        except Exception as exc:
            return await self._failed(handle, exc)
        await self.source.done(handle)
        MESSAGES.labels(self.tenant, self.mailbox.id, taken.outcome).inc()
        log.info(
            "mailbox.taken_in",
            **self._where(),
            outcome=taken.outcome,
            reference=taken.reference,
            note=taken.note,
        )
        return True

    async def _failed(self, handle: str, exc: Exception) -> bool:
        if outage(exc) is not None:
            raise exc  # the store or the bus is down: the whole mailbox waits
        self.failed[handle] = self.failed.get(handle, 0) + 1
        log.exception("mailbox.message_failed", **self._where(), handle=handle)
        if self.failed[handle] < ATTEMPTS:
            return False
        del self.failed[handle]
        await self._quarantine(handle, "error", f"errore nella lettura: {exc!r}")
        return True

    async def _quarantine(self, handle: str, code: str, reason: str) -> None:
        await self.source.quarantine(handle, reason)
        MESSAGES.labels(self.tenant, self.mailbox.id, "quarantined").inc()
        QUARANTINED.labels(self.tenant, self.mailbox.id, code).inc()
        log.warning("mailbox.quarantined", **self._where(), handle=handle, reason=reason)

    def _where(self) -> dict[str, str]:
        return {"tenant": self.tenant, "mailbox": self.mailbox.id, "channel": self.mailbox.channel}
