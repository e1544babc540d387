"""Rows written in the events' own transaction, beside them: the vault's new keys and links.

`SealingEventStore` (personal_data/mapper.py) hands `insert_events` a function of the
transaction's cursor under `STAGED_ROWS`; the process recorders (recorders.py) call it after the
tracking rows, before the events. A row that fails (a key another process stored meanwhile) fails
the whole transaction, as a duplicate tracking row does: nothing sealed under a key that was not
stored is ever committed, and one commit (one fsync) holds both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

STAGED_ROWS: Final = "staged_rows"  # the insert_events keyword
WriteRows = Callable[[Any], None]


def write_staged(cursor: Any, kwargs: Mapping[str, Any]) -> None:
    write: WriteRows | None = kwargs.get(STAGED_ROWS)
    if write is not None:
        write(cursor)
