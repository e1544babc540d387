"""What a consumer keeps of the aggregates it read or wrote (remembered.py): whole histories
only, and nothing once another process has committed or a commit failed."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from uuid import UUID, uuid4

from eventsourcing.persistence import Notification, Recording
from sportello_shared.remembered import Remembered

_ids = count(1)


@dataclass(frozen=True)
class Event:
    originator_id: UUID
    originator_version: int


def written(*events: Event) -> list[Recording[object]]:
    def recording(event: Event) -> Recording[object]:
        notification = Notification(
            id=next(_ids),
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic="t",
            state=b"",
        )
        return Recording(domain_event=event, notification=notification)  # type: ignore[arg-type]

    return [recording(e) for e in events]


def versions(kept: dict[UUID, list[Event]], aggregate_id: UUID) -> list[int]:
    return [e.originator_version for e in kept[aggregate_id]]


def test_what_was_read_and_then_written_is_known_while_nobody_else_commits() -> None:
    memory = Remembered()
    clock, missing = uuid4(), uuid4()
    assert memory.known([clock, missing], others=3) == {}  # nothing yet: read the store
    memory.keep_read({clock: [Event(clock, 1)], missing: []}, others=3)
    memory.keep_written(written(Event(clock, 2), Event(missing, 1)))
    kept = memory.known([clock, missing], others=3)
    assert versions(kept, clock) == [1, 2] and versions(kept, missing) == [1]


def test_another_process_s_commit_or_no_signal_forgets_everything() -> None:
    memory = Remembered()
    clock = uuid4()
    memory.known([clock], others=3)
    memory.keep_read({clock: []}, others=3)
    assert memory.known([clock], others=4) == {}
    memory.keep_read({clock: []}, others=3)  # read before the other commit: not kept
    assert memory.known([clock], others=4) == {}
    memory.keep_read({clock: []}, others=None)
    assert memory.known([clock], others=None) == {}


def test_only_whole_histories_are_kept() -> None:
    memory = Remembered()
    known, unknown, skipped = uuid4(), uuid4(), uuid4()
    memory.known([], others=0)
    memory.keep_read({skipped: [Event(skipped, 1)]}, others=0)
    # an aggregate never read whose history is not written from its start; one whose next
    # event went unseen (written by a transaction that failed after its events were read)
    memory.keep_written(written(Event(known, 1), Event(unknown, 4), Event(skipped, 3)))
    assert list(memory.known([known, unknown, skipped], others=0)) == [known]


def test_a_failed_commit_forgets_everything() -> None:
    memory = Remembered()
    clock = uuid4()
    memory.known([], others=0)
    memory.keep_written(written(Event(clock, 1)))
    memory.forget()
    assert memory.known([clock], others=0) == {}


def test_the_least_recently_used_go_first_when_it_is_full() -> None:
    memory = Remembered(capacity=2)
    first, second, third = uuid4(), uuid4(), uuid4()
    memory.known([], others=0)
    memory.keep_written(written(Event(first, 1), Event(second, 1)))
    memory.keep_written(written(Event(first, 2), Event(third, 1)))
    assert set(memory.known([first, second, third], others=0)) == {first, third}
