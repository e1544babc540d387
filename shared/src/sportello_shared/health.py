"""Whether this service can write its store now: what `/readyz` says while writes fail.

Reads may work while writes cannot (disk full, a read-only or frozen server), so readiness does
not rely on a read alone. The writer reports each outage it meets (`failed`), each commit clears
it (`succeeded`). A failure counts for `hold_s`: with no write tried meanwhile, readiness falls
back to the reachability check, so a replica taken out of rotation is not kept out forever for
want of traffic to prove it well.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from prometheus_client import Gauge

from .outages import describe

WRITES_FAILING = Gauge(
    "sportello_store_writes_failing",
    "1 while the last write to this service's store failed for want of the store, else 0",
)


@dataclass(frozen=True)
class Failure:
    dependency: str
    cause: str
    at: float


class WriteHealth:
    def __init__(self, hold_s: float) -> None:
        self._hold_s = hold_s
        self._lock = threading.Lock()
        self._failure: Failure | None = None

    def failed(self, dependency: str, cause: BaseException) -> None:
        with self._lock:
            self._failure = Failure(dependency, describe(cause), time.monotonic())
        WRITES_FAILING.set(1)

    def succeeded(self) -> None:
        if self._failure is not None:
            with self._lock:
                self._failure = None
            WRITES_FAILING.set(0)

    def failing(self) -> Failure | None:
        """The failure still in force, if any."""
        with self._lock:
            failure = self._failure
        if failure is None or time.monotonic() - failure.at > self._hold_s:
            return None
        return failure
