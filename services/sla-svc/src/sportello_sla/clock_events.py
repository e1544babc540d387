"""How one case event moves a clock: its trace context, and stop, suspend, resume, restart."""

from __future__ import annotations

from datetime import datetime

from sportello_shared.tracing import child_traceparent

from .domain import Clock
from .policies import Rule


class Span:
    """The trace context of what one case event starts or restarts: a child of the event's own,
    shared by every clock it starts, and made only if one does (most events start none, and a
    random span id per message was a tenth of a replay's time)."""

    def __init__(self, parent: str | None) -> None:
        self._parent = parent
        self._traceparent: str | None = None

    @property
    def traceparent(self) -> str:
        # not functools.cached_property: it takes a lock on every first access before 3.12
        if self._traceparent is None:
            self._traceparent = child_traceparent(self._parent)
        return self._traceparent


def apply_case_event(clock: Clock, rule: Rule, event: str, at: datetime, span: Span) -> None:
    standard = rule.standard
    if event in standard.stops_on:
        clock.stop(at, rule)
    if standard.pause and event == standard.pause.suspended_by:
        clock.suspend(at, rule)
    if standard.pause and event == standard.pause.resumed_by:
        clock.resume(at, rule)
    if event in standard.restarts_on:
        clock.restart(at, rule, span.traceparent)
