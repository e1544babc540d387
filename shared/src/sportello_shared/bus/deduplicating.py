"""Which of a fetch's messages were processed already: the consumer runner's tracking query, and
when it can go without it (consumer.py's docstring)."""

from __future__ import annotations

import contextlib

from eventsourcing.persistence import Tracking

from ..logging import get_logger
from .consumer_spec import Item, Processor, first_delivery

log = get_logger(__name__)


class Deduplicating:
    """For the consumer runner (its `_processor` and `_label`)."""

    _processor: Processor
    _label: str
    _first_deliveries_new = False  # until a query of the tracking rows finds none

    async def _already_processed(self, items: list[Item]) -> set[Tracking] | None:
        """The batch's messages already processed, in one query; None: not asked, as every one is
        a first delivery and the last query found none. A duplicate among them (a consumer reset,
        a republish after the server's duplicate window) fails the batch's commit on its tracking
        row, and the per-message path finds it; one whose policy fails is looked up first."""
        if self._first_deliveries_new and all(first_delivery(item.msg) for item in items):
            return None
        try:
            seen = await self._processor.tracked([item.tracking for item in items])
        except Exception as exc:
            # The per-message path checks each message again and retries what it cannot check.
            log.warning("consumer.tracked_failed", consumer=self._label, error=repr(exc))
            return set()
        self._first_deliveries_new = not seen
        return seen

    async def _tracked_already(self, item: Item) -> bool:
        with contextlib.suppress(Exception):  # unknown: settled as the failure it is
            return await self._processor.is_tracked(item.tracking)
        return False
