"""Public payloads of sla-svc: each about one standard's clock on one case."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from .envelope import EventPayload


class _ClockEvent(EventPayload):
    aggregate: ClassVar[str] = "sla"

    case_id: str
    standard: str
    policy_version: int
    started_at: datetime
    deadline: datetime


class SlaDeadlineSet(_ClockEvent):
    event: ClassVar[str] = "deadline_set"


class SlaWarning(_ClockEvent):
    event: ClassVar[str] = "warning"

    at: datetime


class SlaBreached(_ClockEvent):
    event: ClassVar[str] = "breached"

    at: datetime


class SlaMet(_ClockEvent):
    event: ClassVar[str] = "met"

    at: datetime
