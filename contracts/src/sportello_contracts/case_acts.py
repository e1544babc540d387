"""Corrections, communication and the contact centre's acts on a case (issue 18): a duplicate
merged, an update to the citizen, a transfer, a consultation, a callback promised and made.
Like every case event, they carry no personal data and no free text a citizen wrote."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from .cases import _CaseEvent

# --- corrections and communication (issue 18) ---------------------------------------------------


class CaseDuplicateMerged(_CaseEvent):
    """On the original: another case reporting the same was merged into it (its own
    `case.rejected` has `merged` and names this case's reference). Its citizen may be told."""

    event: ClassVar[str] = "duplicate_merged"

    duplicate_reference: str
    duplicate_case_id: str


class CaseCitizenUpdated(_CaseEvent):
    """The office sent the citizen a free-text update (any other information). The text is
    the citizen's business: asked of intake on `personal.<tenant>.<requester>`, not here."""

    event: ClassVar[str] = "citizen_updated"

    has_message: bool = False
    message_length: int = Field(default=0, ge=0)


# --- the contact centre's acts on a call (issue 18; Pisa's handling modes) ----------------------


class CaseTransferred(_CaseEvent):
    """The call (or the case) was handed to `to`: an office, a person, a partner's desk."""

    event: ClassVar[str] = "transferred"

    to: str


class CaseConsulted(_CaseEvent):
    """The operator consulted an office and got an answer (texts stay with intake)."""

    event: ClassVar[str] = "consulted"

    has_question: bool = False
    question_length: int = Field(default=0, ge=0)
    has_answer: bool = False
    answer_length: int = Field(default=0, ge=0)


class CaseCallbackScheduled(_CaseEvent):
    """The citizen will be called back: the note was taken and the office asked."""

    event: ClassVar[str] = "callback_scheduled"

    has_note: bool = False
    note_length: int = Field(default=0, ge=0)


class CaseCallbackDone(_CaseEvent):
    """The citizen was called back (or written to, `means`): what a callback standard stops on
    (Pisa's 24 hours), rather than any recorded contact."""

    event: ClassVar[str] = "callback_done"

    means: str
    has_note: bool = False
    note_length: int = Field(default=0, ge=0)
