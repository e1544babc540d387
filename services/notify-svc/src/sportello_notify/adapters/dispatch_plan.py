"""How the dispatcher plans its work: the notifications of a log batch in lanes, one per case,
the backoff between the tries of one message, and the postponed messages to come back to."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.utils import get_topic
from sportello_shared.follower import Batch

from ..application import NotifyApplication
from ..domain import Notification

DISPATCHED = (Notification.Requested, Notification.ResendRequested)


@dataclass(frozen=True)
class Backoff:
    """Bounded exponential backoff with jitter between tries of one message."""

    max_attempts: int = 5
    base: float = 1.0
    cap: float = 60.0

    def delay(self, failed_attempts: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** (failed_attempts - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography


def lanes_by_case(batch: Batch) -> list[list[UUID]]:
    """The notifications to dispatch, grouped by case in log order. A resend carries no case id:
    it joins its notification's lane when that was requested in the same batch, else its own
    (a notification is never in two lanes, so it is never sent twice concurrently)."""
    lane_of: dict[UUID, str] = {}
    lanes: dict[str, list[UUID]] = {}
    for _, domain_event in batch:
        if not isinstance(domain_event, DISPATCHED):
            continue
        notification_id = UUID(str(domain_event.originator_id))
        case_id = getattr(domain_event, "case_id", None)
        lane = lane_of.setdefault(notification_id, case_id or str(notification_id))
        lanes.setdefault(lane, []).append(notification_id)
    return list(lanes.values())


def postponements(app: NotifyApplication) -> dict[UUID, datetime]:
    """Every postponement ever recorded (read by topic); those since settled are skipped when
    due."""
    recorder, topics = app.recorder, [get_topic(Notification.Postponed)]
    postponed: dict[UUID, datetime] = {}
    position = 0
    while page := recorder.select_notifications(
        start=position, limit=500, topics=topics, inclusive_of_start=False
    ):
        for stored in page:
            event = app.mapper.to_domain_event(stored)
            assert isinstance(event, Notification.Postponed)
            postponed[UUID(str(event.originator_id))] = event.until
        position = page[-1].id
    return postponed


def log_context(notification: Notification) -> dict[str, str]:
    return {
        "notification_id": str(notification.id),
        "case_id": notification.case_id,
        "template": notification.template,
        "channel": notification.channel.value,
    }


async def stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Whether the service began stopping within `seconds` (a backoff that a stop cuts short)."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
