"""An office command as data, and the trace context it runs in.

The trace context is the request's (W3C `traceparent`), set once per request in a context
variable: the writer thread runs each call in a copy of the caller's context, so every event a
command records carries it without a `traceparent` parameter on every command.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

current_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)


def traceparent() -> str | None:
    """The trace context of what runs now (None outside any request or message)."""
    return current_traceparent.get()


@dataclass(frozen=True)
class CaseCommand:
    """A row of the transition table applied to one case: `command` names the row, `details`
    are its fields (`outcome`, `reason`, …); `occurred_at` None means now."""

    case_id: UUID
    command: str
    actor: str
    details: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
