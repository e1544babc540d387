"""Sportello's public event contract: the only shapes that cross service boundaries."""

from .envelope import CloudEvent, EventPayload, event_id, wrap
from .registry import BY_TYPE, PAYLOAD_TYPES, UnknownEventType, parse_payload

__all__ = [
    "BY_TYPE",
    "PAYLOAD_TYPES",
    "CloudEvent",
    "EventPayload",
    "UnknownEventType",
    "event_id",
    "parse_payload",
    "wrap",
]
