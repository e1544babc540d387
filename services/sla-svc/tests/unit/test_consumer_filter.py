"""sla-svc's consumer of CASES asks JetStream only for the case events its reactions heed."""

from __future__ import annotations

from typing import Any

from sportello_contracts.registry import PAYLOAD_TYPES
from sportello_contracts.subjects import CASES_STREAM
from sportello_sla.application import SlaApplication
from sportello_sla.heeded import HEEDED_CASE_EVENTS, LIFECYCLE
from sportello_sla.main import consumers

CASE_EVENTS = [t for t in PAYLOAD_TYPES if getattr(t, "aggregate", None) == "case"]


def _heeded(payload_type: type[Any]) -> bool:
    """A reaction of its own, or the lifecycle's (the default reaction ignores anything else)."""
    dispatcher = SlaApplication.__dict__["react"].dispatcher
    own = dispatcher.dispatch(payload_type) is not dispatcher.dispatch(object)
    return own or issubclass(payload_type, LIFECYCLE)


def test_the_filter_names_every_case_event_a_reaction_heeds_and_no_other() -> None:
    heeded = {t.event for t in CASE_EVENTS if _heeded(t)}
    assert heeded == set(HEEDED_CASE_EVENTS)
    assert {"received", "assigned", "closed"} <= heeded
    assert "handed_over" not in heeded  # the partner's copy: nothing for a clock


def test_the_service_subscribes_with_that_filter() -> None:
    (cases,) = [spec for spec in consumers() if spec.stream == CASES_STREAM]
    assert sorted(cases.filter_subjects) == sorted(f"cases.*.*.{e}" for e in HEEDED_CASE_EVENTS)


def test_both_consumers_linger_in_the_background() -> None:
    """A clock counts from each event's own time: a consumer that lingers a second for bigger
    batches moves no deadline (CONSUMER_BACKGROUND_LINGER)."""
    assert all(spec.background for spec in consumers())
