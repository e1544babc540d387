"""The worker that erases reports nobody confirmed (and confirmed ones intake now holds).

Every `PUBLIC_SUBMISSION_SWEEP_INTERVAL` seconds (default 3600; 0 turns it off) it deletes the
key of each report drafted more than `PUBLIC_SUBMISSION_RETENTION_DAYS` ago (default 7) and never
confirmed, and of each registered one still holding it (a crash between registering and erasing).
Replicas may run it together: erasing twice is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from sportello_shared.logging import get_logger

from .submissions import PublicApplication

log = get_logger(__name__)


async def sweep_forever(
    app: PublicApplication,
    clock: Callable[[], datetime],
    unconfirmed_for: timedelta,
    interval: float,
) -> None:
    while True:
        try:
            erased = await asyncio.to_thread(app.erase_stale, clock(), unconfirmed_for)
        except Exception as exc:  # the store is down: try again at the next run
            log.warning("submissions.sweep_failed", error=repr(exc))
        else:
            if erased:
                log.info("submissions.erased", count=erased)
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def sweeping(
    app: PublicApplication,
    clock: Callable[[], datetime],
    unconfirmed_for: timedelta,
    interval: float,
) -> AsyncIterator[None]:
    """The worker for the application's lifetime (none when `interval` is 0)."""
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(sweep_forever(app, clock, unconfirmed_for, interval))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
