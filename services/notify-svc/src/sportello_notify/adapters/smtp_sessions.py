"""SMTP sessions kept open between messages: the connection, EHLO, STARTTLS and AUTH once per
burst of mail instead of once per message.

A session goes back to the pool after a message the server accepted, and the next send takes it.
A session that failed in any way (a refusal, a timeout, a lost connection) is closed, never
reused, so the next try starts on a fresh connection as it always did. A kept session the server
has closed in the meantime (its idle timeout, a restart) is seen by the event loop (the socket's
end of file) and dropped when taken; one idle for longer than `max_idle` is closed rather than
reused, well before the five minutes RFC 5321 lets a server wait for the next command.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiosmtplib

Connect = Callable[[], Awaitable[aiosmtplib.SMTP]]


class SmtpSessions:
    def __init__(
        self,
        connect: Connect,
        *,
        keep: int = 8,
        max_idle: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self._keep = keep  # at most this many idle sessions (one per dispatch lane)
        self._max_idle = max_idle
        self._clock = clock
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # (session, idle since)
        self.opened = 0  # connections opened so far (the tests count them)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[aiosmtplib.SMTP]:
        """A connected session; given back after the block, closed if the block raised."""
        client = self._take()
        if client is None:
            client = await self._connect()
            self.opened += 1
        try:
            yield client
        except BaseException:
            client.close()
            raise
        self._give_back(client)

    def _take(self) -> aiosmtplib.SMTP | None:
        now = self._clock()
        while self._idle:
            client, since = self._idle.pop()  # the most recently used: the likeliest alive
            if client.is_connected and now - since < self._max_idle:
                return client
            client.close()
        return None

    def _give_back(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected and len(self._idle) < self._keep:
            self._idle.append((client, self._clock()))
        else:
            client.close()

    async def aclose(self) -> None:
        """QUIT every idle session (a server that does not answer is simply disconnected)."""
        idle, self._idle = self._idle, []
        for client, _ in idle:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await client.quit(timeout=2.0)
            client.close()
