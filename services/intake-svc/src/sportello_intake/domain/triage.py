"""The triage-first workflow (issue 18, point 2): the front office (Torino's Contact Center,
Casale's and Rescaldina's URP) takes the case in charge, forwards it to the competent office,
gets the office's answer back, and tells the citizen the outcome itself.

Events of the transition table (`LifecycleEvent`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import Aggregate
from sportello_shared.personal_data import ERASED_TEXT

from .events import STORED_MODULE, LifecycleEvent, _case
from .status import Status


class Forwarded(LifecycleEvent):
    """The front office (`organization`, who forwards) hands the case to the competent office:
    `to`, the one it chose, or None for the one routing's rules choose (routing decides and
    explains, `case.assigned` follows)."""

    TOPIC = f"{STORED_MODULE}:Case.Forwarded"
    status = Status.FORWARDED
    to: str | None = None

    def apply(self, aggregate: Aggregate) -> None:
        case = _case(aggregate)
        case.front_office = case.front_office or self.organization  # again: the same one
        super().apply(aggregate)


class OfficeAnswered(LifecycleEvent):
    """The competent office (`organization`) answers the front office: the case is back in
    the front office's hands, to tell the citizen the outcome. The answer is for the staff
    only: sealed under the citizen's key, never published nor sent to the citizen."""

    TOPIC = f"{STORED_MODULE}:Case.OfficeAnswered"
    status = Status.OFFICE_ANSWERED
    personal_data: ClassVar[dict[str, Any]] = {"answer": ERASED_TEXT}
    answer: str
    data_subject: str = ""

    def apply(self, aggregate: Aggregate) -> None:
        super().apply(aggregate)
        case = _case(aggregate)
        case.organization = case.front_office or case.organization
