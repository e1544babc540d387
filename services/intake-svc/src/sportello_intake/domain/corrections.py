"""Corrections and communication: a case set aside as out of scope or a duplicate, merged
into the case it repeats, annotated for the staff only, or updated to the citizen.

Events of the transition table (`LifecycleEvent`): `status` None leaves the case where it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sportello_shared.personal_data import ERASED_TEXT

from .events import STORED_MODULE, LifecycleEvent, Rejected, _case
from .status import Status


class Merged(Rejected):
    """The case repeats `duplicate_of` (the original's reference, `original_case_id` its id):
    set aside, its citizen told where to follow the original."""

    TOPIC = f"{STORED_MODULE}:Case.Merged"
    original_case_id: str = ""


class DuplicateMerged(LifecycleEvent):
    """On the original: another case (`duplicate`, its reference) was merged into it; its
    citizen is told that someone else reported the same."""

    TOPIC = f"{STORED_MODULE}:Case.DuplicateMerged"
    status: ClassVar[Status | None] = None
    duplicate: str
    duplicate_case_id: str


class Noted(LifecycleEvent):
    """A note for the staff only: never published, never on the citizen's page or messages."""

    TOPIC = f"{STORED_MODULE}:Case.Noted"
    status: ClassVar[Status | None] = None
    personal_data: ClassVar[dict[str, Any]] = {"note": ERASED_TEXT}
    note: str
    data_subject: str = ""


class CitizenUpdated(LifecycleEvent):
    """A free-text update to the citizen ("qualunque altra informazione"): sent by notify,
    shown on their status page."""

    TOPIC = f"{STORED_MODULE}:Case.CitizenUpdated"
    status: ClassVar[Status | None] = None
    personal_data: ClassVar[dict[str, Any]] = {"message": ERASED_TEXT}
    message: str
    data_subject: str = ""


def record_merge(original: Any, duplicate: Any, actor: str, now: Any, trace: str | None) -> None:
    """The original's side of a merge (the duplicate's is its `merge` command)."""
    case = _case(original)
    case.trigger_event(
        DuplicateMerged,
        **case._stamp(actor, now, trace),
        duplicate=duplicate.reference,
        duplicate_case_id=str(duplicate.id),
    )
