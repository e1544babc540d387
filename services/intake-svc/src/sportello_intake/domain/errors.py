"""What the Case refuses, said to the caller in their language."""

from __future__ import annotations

from typing import Any

from ..wording import step_of, transition_refused
from .status import Status
from .transitions import possible_from


class CaseError(Exception):
    """Base of what the Case refuses."""


class TransitionNotAllowed(CaseError):
    """Said to the caller with the steps the case's status allows now (in their language)."""

    def __init__(self, action: str, status: Status) -> None:
        super().__init__(f"cannot {action} a case that is {status.value}")
        self.action = action
        self.status = status
        self.possible = possible_from(status)

    def localized(self, language: str) -> str:
        return transition_refused(language, self.action, self.status.value, self.possible)

    def problem_extra(self) -> dict[str, Any]:
        return {
            "case_status": self.status.value,
            "possible_steps": [step_of(a) for a in self.possible],
        }


class ReopenWindowClosed(CaseError):
    """The citizen asked to reopen too long after the case was closed."""


class InvalidOccurrence(CaseError):
    """An `occurred_at` in the future or before the case's previous event."""


class AlreadyClassified(CaseError):
    """Only a case registered `da_classificare` is classified; another goes to another office
    by `request-reassignment`."""

    def __init__(self, reference: str, category: str) -> None:
        super().__init__(f"{reference} is classified already ({category}): ask to reassign it")
        self.reference = reference
        self.category = category

    def localized(self, language: str) -> str:
        if language == "en":
            return str(self)
        return (
            f"la pratica {self.reference} è già classificata ({self.category}): "
            "per cambiarne l'ufficio se ne chieda la riassegnazione"
        )

    def problem_extra(self) -> dict[str, Any]:
        return {"reference": self.reference, "category": self.category}


class NothingToRecategorise(CaseError):
    """The kind and category asked are the case's already."""

    def __init__(self, reference: str, kind: str, category: str) -> None:
        super().__init__(f"{reference} is a {kind} in {category} already")
        self.reference = reference

    def localized(self, language: str) -> str:
        if language == "en":
            return str(self)
        return f"la pratica {self.reference} ha già questo tipo e questa categoria"
