"""`Changes` collects what `ProcessingEvent` collects, without asking runtime protocols."""

from __future__ import annotations

from typing import Any

import eventsourcing.application as library
import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, event
from sportello_shared.changes import Changes


class Lamp(Aggregate):
    def __init__(self, street: str) -> None:
        self.street = street
        self.lit = False

    @event("Lit")
    def light(self) -> None:
        self.lit = True


def collected(processing_event: ProcessingEvent[Any], *objs: Any) -> tuple[Any, ...]:
    processing_event.collect_events(*objs, note="x")
    return (
        [
            (type(e).__name__, e.originator_id, e.originator_version)
            for e in processing_event.events
        ],
        dict(processing_event.aggregates),
        processing_event.saved_kwargs,
    )


def changes() -> list[Any]:
    """Two aggregates with pending events, nothing, and a bare event."""
    first, second = Lamp("via Roma"), Lamp("via Po")
    second.light()
    return [first, None, second, Lamp("via Garibaldi").collect_events()[0]]


def test_the_same_events_aggregates_and_arguments_as_the_library() -> None:
    ours, theirs = changes(), changes()
    got = collected(Changes(), *ours)
    expected = collected(ProcessingEvent(), *theirs)
    assert [(name, version) for name, _, version in got[0]] == [
        (name, version) for name, _, version in expected[0]
    ]
    assert [name for name, _, _ in got[0]] == ["Created", "Created", "Lit", "Created"]
    assert [a.street for a in got[1].values()] == ["via Roma", "via Po"]
    assert got[2] == expected[2] == {"note": "x"}
    assert all(not a.collect_events() for a in ours if isinstance(a, Lamp))  # taken, once


def test_aggregates_are_told_by_their_class_not_by_runtime_protocols(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[object] = []

    class Counting(type):
        def __instancecheck__(cls, instance: object) -> bool:
            asked.append(instance)
            return False

    class NeverMatches(metaclass=Counting):
        pass

    monkeypatch.setattr(library, "DomainEventProtocol", NeverMatches)
    Changes().collect_events(Lamp("via Roma"), Lamp("via Po"))
    assert asked == []
    ProcessingEvent().collect_events(Lamp("via Roma"))  # the library's way asks, every time
    assert len(asked) == 1
