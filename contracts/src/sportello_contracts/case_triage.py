"""The triage-first workflow (issue 18, point 2): the front office forwards the case to the
competent office and gets its answer back, then tells the citizen the outcome itself (Torino's
Contact Center, Casale's and Rescaldina's URP). No personal data, no free text."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from .cases import _CaseEvent


class CaseForwarded(_CaseEvent):
    """The front office handed the case on to the competent office: `to`, the one it chose,
    or null for the one routing's rules choose. Routing decides (`case.assigned` follows)."""

    event: ClassVar[str] = "forwarded"

    to: str | None = Field(default=None, description="the organization chosen; null: the rules")


class CaseOfficeAnswered(_CaseEvent):
    """The competent office answered the front office, which now tells the citizen the outcome.
    The answer is for the staff only: asked of intake, never on the streams."""

    event: ClassVar[str] = "office_answered"

    has_answer: bool = False
    answer_length: int = Field(default=0, ge=0)
