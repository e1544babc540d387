"""Public payloads of sla-svc: each about one standard's clock on one case."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime

from .envelope import EventPayload


class _ClockEvent(EventPayload):
    aggregate: ClassVar[str] = "sla"

    case_id: str
    standard: str
    policy_version: int
    started_at: AwareDatetime
    deadline: AwareDatetime


class SlaDeadlineSet(_ClockEvent):
    event: ClassVar[str] = "deadline_set"


class SlaWarning(_ClockEvent):
    event: ClassVar[str] = "warning"

    at: AwareDatetime


class SlaBreached(_ClockEvent):
    event: ClassVar[str] = "breached"

    at: AwareDatetime


class SlaMet(_ClockEvent):
    event: ClassVar[str] = "met"

    at: AwareDatetime
