"""What the contact centre does on a call besides the lifecycle (Pisa's four handling modes):
the call transferred (to whom), a consultation (question, answer), a callback promised and
made, and an information call answered on the spot (registered and closed in one step).

Events of the transition table; `status` None leaves the case where it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sportello_shared.personal_data import ERASED_TEXT

from .events import STORED_MODULE, Closed, LifecycleEvent
from .status import Status


class Transferred(LifecycleEvent):
    """The call (or the case) handed to `to`: an office, a person, a partner's desk."""

    TOPIC = f"{STORED_MODULE}:Case.Transferred"
    status: ClassVar[Status | None] = None
    to: str


class Consulted(LifecycleEvent):
    """The operator asked an office (`question`) and got its `answer` (for the citizen)."""

    TOPIC = f"{STORED_MODULE}:Case.Consulted"
    status: ClassVar[Status | None] = None
    personal_data: ClassVar[dict[str, Any]] = {"question": ERASED_TEXT, "answer": ERASED_TEXT}
    question: str
    answer: str
    data_subject: str = ""


class CallbackScheduled(LifecycleEvent):
    """The citizen will be called back: the operator took a note and asks the office."""

    TOPIC = f"{STORED_MODULE}:Case.CallbackScheduled"
    status: ClassVar[Status | None] = None
    personal_data: ClassVar[dict[str, Any]] = {"note": ERASED_TEXT}
    note: str
    data_subject: str = ""


class CallbackDone(LifecycleEvent):
    """The citizen was called back (or written to, `means`): what stops Pisa's 24-hour clock."""

    TOPIC = f"{STORED_MODULE}:Case.CallbackDone"
    status: ClassVar[Status | None] = None
    personal_data: ClassVar[dict[str, Any]] = {"note": ERASED_TEXT}
    means: str
    note: str
    data_subject: str = ""


class AnsweredOnTheSpot(Closed):
    """An information call answered while the citizen was on the line: closed at registration
    with the answer as its outcome, never routed."""

    TOPIC = f"{STORED_MODULE}:Case.AnsweredOnTheSpot"
