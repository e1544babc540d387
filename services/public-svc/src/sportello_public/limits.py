"""How many reports one e-mail address and one client may send: sliding windows in memory.

Per replica, like the services' edge limits: enough against floods; the refusal is explained on
the page and the report stays filled in.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(
        self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        """Count a try for `key`; False (and not counted) once `limit` tries are in the window."""
        now = self.clock()
        hits = self._hits[key]
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 100_000:
            self._hits.clear()
        return True
