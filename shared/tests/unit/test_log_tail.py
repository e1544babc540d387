"""The log tail hands a follower only an unbroken run after its position (log_tail.py)."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import Notification, Recording
from sportello_shared.log_tail import LogTail


def recording(notification_id: int) -> Recording[object]:
    notification = Notification(
        id=notification_id, originator_id=uuid4(), originator_version=1, topic="t", state=b""
    )
    return Recording(domain_event=f"event {notification_id}", notification=notification)  # type: ignore[arg-type]


def ids(run: list[tuple[Notification, object]]) -> list[int]:
    return [notification.id for notification, _ in run]


def test_the_run_after_a_position_with_its_domain_events() -> None:
    tail = LogTail()
    tail.add([recording(n) for n in (5, 6, 7)])
    assert ids(tail.after(4, limit=10)) == [5, 6, 7]
    assert [event for _, event in tail.after(5, limit=10)] == ["event 6", "event 7"]
    assert ids(tail.after(4, limit=2)) == [5, 6]
    assert tail.after(7, limit=10) == []


def test_a_hole_ends_the_run_and_nothing_before_the_tail_is_guessed() -> None:
    tail = LogTail()
    tail.add([recording(n) for n in (10, 11, 13)])  # 12: another process's, or a failed one
    assert ids(tail.after(9, limit=10)) == [10, 11]
    assert tail.after(11, limit=10) == []  # the store says what 12 is
    assert ids(tail.after(12, limit=10)) == [13]
    assert tail.after(3, limit=10) == []  # 4 is not here: read the store


def test_the_oldest_recordings_go_first_when_the_tail_is_full() -> None:
    tail = LogTail(capacity=3)
    tail.add([recording(n) for n in range(1, 6)])
    assert tail.after(0, limit=10) == []
    assert ids(tail.after(2, limit=10)) == [3, 4, 5]
