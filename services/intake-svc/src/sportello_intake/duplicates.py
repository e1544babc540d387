"""The original a duplicate names: found by its reference in the same tenant, never the case
itself; a merge needs it open (its citizen is told, its office keeps handling it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .domain import Case, CaseError

if TYPE_CHECKING:
    from .application import IntakeApplication


class UnknownOriginal(ValueError):
    """`duplicate_of` names no other case of the tenant (422)."""

    def __init__(self, reference: str, tenant: str) -> None:
        super().__init__(f"no other case {reference} in {tenant} to be a duplicate of")
        self.reference = reference

    def localized(self, language: str) -> str:
        if language == "en":
            return str(self)
        return f"nessun'altra pratica {self.reference} di cui questa sia un duplicato"

    def problem_extra(self) -> dict[str, Any]:
        return {"field": "duplicate_of"}


class OriginalNotOpen(CaseError):
    """A duplicate is merged only into an open case; of a closed one it is dismissed."""

    def __init__(self, reference: str, status: str) -> None:
        super().__init__(f"{reference} is {status}: dismiss the duplicate instead of merging it")
        self.reference = reference
        self.status = status

    def localized(self, language: str) -> str:
        if language == "en":
            return str(self)
        return (
            f"la pratica {self.reference} non è aperta ({self.status}): il duplicato si "
            "archivia (dismiss) invece di unirlo"
        )

    def problem_extra(self) -> dict[str, Any]:
        return {"reference": self.reference, "original_status": self.status}


def original_of(app: IntakeApplication, case: Case, reference: str | None) -> Case:
    found = app.case_by_reference(case.tenant, reference) if reference else None
    if found is None or found.id == case.id:
        raise UnknownOriginal(reference or "", case.tenant)
    return found


def linked(
    app: IntakeApplication, case: Case, command: str, details: dict[str, Any]
) -> tuple[dict[str, Any], Case | None]:
    """The command's details with the original's reference checked (and, for a merge, its
    id), and the original a merge records on too; None when the command names none."""
    if command not in ("dismiss", "merge") or (
        command == "dismiss" and not details.get("duplicate_of")
    ):
        return details, None
    original = original_of(app, case, details.get("duplicate_of"))
    if command == "dismiss":
        return {**details, "duplicate_of": original.reference}, None
    if not original.is_open:
        raise OriginalNotOpen(original.reference, original.status.value)
    return {
        **details,
        "duplicate_of": original.reference,
        "original_case_id": str(original.id),
    }, original
