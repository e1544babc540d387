"""A consumer's fetch, and its linger: bigger batches while messages keep coming."""

from __future__ import annotations

import asyncio
import contextlib

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

BUSY_WINDOW = 1.0  # seconds since the last fetch that returned messages
TOP_UP_WAIT = 0.05  # for the server's answer to the top-up: it sends what it holds at once


class LingeringFetch:
    """Fetches up to `batch` messages, waiting up to `long_poll` for the first.

    While messages keep coming (a fetch returned some in the last `BUSY_WINDOW` seconds), one
    that came back short is topped up once, `linger` seconds later, with what arrived meanwhile.
    Under load: bigger batches, so fewer transactions per message (at 30 cases/s, a 100 ms
    linger took a third off the whole system's CPU per case: docs/benchmarks.md), each hop up to
    `linger` later; the first message after a quiet spell goes at once. The top-up only collects
    what the server already holds: a message it delivers later waits in the subscription for the
    next fetch.
    """

    def __init__(self, batch: int, long_poll: float, linger: float) -> None:
        self.batch = batch
        self.long_poll = long_poll
        self.linger = linger
        self._busy_until = 0.0

    async def __call__(
        self, subscription: JetStreamContext.PullSubscription, stop: asyncio.Event
    ) -> list[Msg]:
        messages: list[Msg] = await subscription.fetch(self.batch, timeout=self.long_poll)
        now = asyncio.get_running_loop().time()
        busy, self._busy_until = now < self._busy_until, now + BUSY_WINDOW
        if not busy or self.linger <= 0 or len(messages) >= self.batch:
            return messages
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=self.linger)
        if stop.is_set():
            return messages
        with contextlib.suppress(nats.errors.TimeoutError, TimeoutError):
            messages += await subscription.fetch(self.batch - len(messages), timeout=TOP_UP_WAIT)
        return messages
