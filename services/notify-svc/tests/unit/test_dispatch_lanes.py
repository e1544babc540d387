"""The dispatcher delivers several cases at once, each case's messages in log order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sportello_notify.adapters.dispatch_plan import lanes_by_case
from sportello_notify.domain import Notification, Template

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CASE_A = "0b5bd3a4-25a4-4b57-9d41-7c8e1a0e6d10"
CASE_B = "7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"


def requested(case_id: str, template: Template, trigger: str) -> Notification:
    return Notification.request(
        case_id=case_id,
        tenant="torino",
        template=template,
        trigger_event_id=trigger,
        recipient="maria.rossi@example.org",
        language="it",
        context={},
        requested_at=T0,
        traceparent=None,
    )


def created(notification: Notification) -> tuple[Notification, Any]:
    return notification, notification.collect_events()[-1]


def test_each_case_is_one_lane_in_log_order_and_a_resend_joins_its_notification() -> None:
    ack_a = requested(CASE_A, Template.RECEIVED, f"{CASE_A}:1")
    ack_b = requested(CASE_B, Template.RECEIVED, f"{CASE_B}:1")
    taken_a = requested(CASE_A, Template.TAKEN_IN_CHARGE, f"{CASE_A}:3")
    batch = [created(ack_a), created(ack_b), created(taken_a)]
    ack_a.mark_sent("250 ok", T0)
    ack_a.resend("operator", "the citizen asked", T0)
    batch.append((ack_a, ack_a.collect_events()[-1]))
    assert isinstance(batch[-1][1], Notification.ResendRequested)

    lanes = lanes_by_case(batch)

    assert lanes == [[ack_a.id, taken_a.id, ack_a.id], [ack_b.id]]
    assert all(isinstance(i, UUID) for lane in lanes for i in lane)


def test_a_resend_alone_in_its_batch_is_a_lane_of_its_own() -> None:
    ack = requested(CASE_A, Template.RECEIVED, f"{CASE_A}:1")
    ack.collect_events()
    ack.mark_sent("250 ok", T0)
    ack.collect_events()
    ack.resend("operator", "again", T0)
    assert lanes_by_case([(ack, ack.collect_events()[-1])]) == [[ack.id]]
