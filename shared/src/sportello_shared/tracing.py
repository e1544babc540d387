"""W3C trace context: every case keeps one trace id from intake to the citizen's mailbox."""

from __future__ import annotations

from .entropy import token_hex


def new_traceparent() -> str:
    return f"00-{token_hex(16)}-{token_hex(8)}-01"


def child_traceparent(parent: str | None) -> str:
    """A new span in the parent's trace, or a new trace when there is no valid parent."""
    if parent is None or parent.count("-") != 3:
        return new_traceparent()
    version, trace_id, _, flags = parent.split("-")
    return f"{version}-{trace_id}-{token_hex(8)}-{flags}"


def trace_id(traceparent: str | None) -> str | None:
    if traceparent is None or parent_is_invalid(traceparent):
        return None
    return traceparent.split("-")[1]


def parent_is_invalid(traceparent: str) -> bool:
    parts = traceparent.split("-")
    return len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16
