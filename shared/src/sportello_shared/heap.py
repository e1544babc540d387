"""The collector's settings for a long-running service (issue 20).

A service builds its whole world once (modules, routes, templates, calendars, caches) and then
handles small, short-lived things. CPython's cyclic collector would walk that world again at
every full collection: at 30 cases/s it took a tenth of sla-svc's CPU. After startup the world is
frozen out of the collector's sight (`gc.freeze`), and the youngest generation is collected every
few thousand allocations instead of every 700; reference counting still frees almost everything
at once, the collector still finds every cycle.
"""

from __future__ import annotations

import gc

YOUNGEST = 10_000  # allocations between collections of the youngest generation (CPython: 700)
OLDER = 20  # collections of a generation before the next is collected (CPython: 10)


def settle() -> None:
    """Called once the service has started: what exists now lives as long as the process."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNGEST, OLDER, OLDER)
