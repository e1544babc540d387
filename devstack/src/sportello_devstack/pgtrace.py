"""Round trips to PostgreSQL, counted from libpq's own trace of the protocol (for tests)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from psycopg import pq

# what the client sends to end a round trip: a Sync (extended protocol) or a Query (simple one)
ENDS = frozenset({"Sync", "Query"})


def round_trips(pgconn: pq.abc.PGconn, action: Callable[[], object]) -> int:
    """How many round trips `action` makes on `pgconn` (a pool's connection, given back to the
    pool before, so that the action takes it)."""
    with tempfile.NamedTemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            action()
        finally:
            pgconn.untrace()
        lines = Path(trace.name).read_text().splitlines()
    return sum(1 for line in lines if line.startswith("F\t") and line.split("\t")[2] in ENDS)
