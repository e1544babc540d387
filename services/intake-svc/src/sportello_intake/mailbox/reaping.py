"""Attachments go with their citizen: every ATTACHMENT_REAP_INTERVAL seconds (default 60; 0
turns it off) one intake replica (a lease) deletes the files whose every referencing case's
data subject was erased (attachments.py, `AttachmentStore.reap`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import Counter
from sportello_shared.logging import get_logger
from sportello_shared.personal_data.vault import Erased

from .attachments import AttachmentStore

if TYPE_CHECKING:
    from sportello_shared.runtime import Runtime

    from ..application import IntakeApplication

log = get_logger(__name__)
REAPED = Counter(
    "sportello_attachments_erased_total", "Attachment files deleted after their citizen's erasure"
)


def erased_subject(app: IntakeApplication) -> Callable[[str], bool]:
    def erased(subject: str) -> bool:
        return isinstance(app.vault.key(subject, create=False), Erased)

    return erased


async def reap_attachments(
    runtime: Runtime[IntakeApplication], store: AttachmentStore, stop: asyncio.Event
) -> None:
    interval: float = getattr(runtime.settings, "attachment_reap_interval", 60.0)
    if interval <= 0:
        return
    lease = runtime.lease("attachments")
    await lease.acquire()
    try:
        while not stop.is_set():
            try:
                deleted = await asyncio.to_thread(store.reap, erased_subject(runtime.app))
            except Exception as exc:  # the store or the disk: try again at the next run
                log.warning("attachments.reap_failed", error=repr(exc))
            else:
                if deleted:
                    REAPED.inc(deleted)
                    log.info("attachments.erased", files=deleted)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        await lease.release()
