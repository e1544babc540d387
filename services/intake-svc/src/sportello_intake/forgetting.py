"""The right to be forgotten: delete the citizen's key, then record it on each of their cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sportello_shared.bus.sealing import letter_subject

from .domain import Case, CaseError

if TYPE_CHECKING:
    from .application import IntakeApplication


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ErasureRequest:
    """Whose personal data to erase: the citizen of a case, or by their e-mail or phone."""

    case_id: UUID | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ErasureReport:
    subjects: int  # keys deleted
    cases: list[Case]
    erased_at: datetime


class NothingToErase(LookupError):
    pass


class CasesStillInRetention(CaseError):
    def __init__(self, references: list[str]) -> None:
        super().__init__(f"closed too recently to erase: {', '.join(references)}")
        self.references = references


class CasesStillOpen(CaseError):
    def __init__(self, references: list[str]) -> None:
        super().__init__(
            "personal data is erased only when every case of the citizen is closed or rejected; "
            f"still open: {', '.join(references)}"
        )
        self.references = references


def erase_personal_data(
    app: IntakeApplication,
    request: ErasureRequest,
    actor: str,
    traceparent: str | None,
    closed_before: datetime | None = None,
) -> ErasureReport:
    """Delete the citizen's key, then record the erasure on each of their cases (with
    `closed_before`, the retention's: only if none of them changed since).

    A crash in between leaves the key deleted and some cases without the event: asking again
    records the rest (the key is gone either way, so nothing is readable meanwhile).
    """
    pseudonyms = _pseudonyms_asked(app, request)
    linked = app.vault.aggregates_of(pseudonyms)
    found = map(app.find_case, linked)
    cases = [case for case in found if case is not None]
    # what is linked and is not a case: dead letters naming the citizen (bus/sealing.py)
    letters = [letter_subject(i) for i in linked if i not in {c.id for c in cases}]
    if not cases and not letters:
        raise NothingToErase("no case of this citizen")
    still_open = sorted(c.reference for c in cases if c.is_open)
    if still_open:
        raise CasesStillOpen(still_open)
    if closed_before is not None:
        recent = sorted(c.reference for c in cases if c.updated_at >= closed_before)
        if recent:
            raise CasesStillInRetention(recent)
    now = app.clock()
    subjects = sorted({*pseudonyms, *letters, *(c.data_subject for c in cases if c.data_subject)})
    app.vault.erase(subjects, actor, now)
    for case in cases:
        case.erase_personal_data(actor, now, traceparent)
    app.save(*cases)
    return ErasureReport(len(subjects), cases, now)


def _pseudonyms_asked(app: IntakeApplication, request: ErasureRequest) -> list[str]:
    pseudonyms = []
    if request.case_id is not None:
        case = app.find_case(request.case_id)
        if case is None:
            raise CaseNotFound(f"no case {request.case_id}")
        if not case.data_subject:
            raise NothingToErase(f"{case.reference} was registered before per-citizen keys")
        pseudonyms.append(case.data_subject)
        if case.personal_data_erased_at is None:
            pseudonyms += app.pseudonyms_of(case.citizen)
    contacts = {"email": request.email, "phone": request.phone}
    pseudonyms += app.pseudonyms_of({k: v for k, v in contacts.items() if v})
    return sorted(set(pseudonyms))
