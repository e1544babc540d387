"""What this process committed last to an Application's log, as its followers would read it.

A follower (relay, case index, dispatcher) reads the log after its position and decodes each
stored event: a query and a decryption per event, again in every follower of the log, for events
this very process wrote a moment earlier and still holds. The writer keeps its last recordings
here (`ServiceApplication._notify`, after the commit) and a follower woken by its own process's
commit takes the run of notifications that follows its position from memory.

Only a run with no hole in it: the next notification after a follower's position is either here
or it was committed by another process (another replica, an admin command), or its id was used
by a transaction that failed; then the follower reads the store, as it always did.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification, Recording

CAPACITY = 2000  # recordings: a few seconds of a busy service's commits


class LogTail:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._held: OrderedDict[int, tuple[Notification, Any]] = OrderedDict()
        self._lock = threading.Lock()  # the writer thread adds, followers' threads read

    def add(self, recordings: Sequence[Recording[Any]]) -> None:
        with self._lock:
            for recording in recordings:
                notification = recording.notification
                self._held[notification.id] = (notification, recording.domain_event)
            while len(self._held) > self._capacity:
                self._held.popitem(last=False)

    def after(self, position: int, limit: int) -> list[tuple[Notification, Any]]:
        """The notifications position + 1, position + 2, ... held here, at most `limit`."""
        run: list[tuple[Notification, Any]] = []
        with self._lock:
            while len(run) < limit:
                held = self._held.get(position + len(run) + 1)
                if held is None:
                    break
                run.append(held)
        return run
