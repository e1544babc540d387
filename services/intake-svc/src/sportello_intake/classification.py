"""The triage's classification of a case that came by itself (a mailbox: e-mail, PEC, voicemail,
fax), registered `da_classificare`: the call-taker sets kind and category and completes who the
citizen is; routing then routes the case again and the SLA clocks of the category start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sportello_contracts.cases import Citizen

from .application import IntakeApplication, UnknownCategory
from .commands import traceparent
from .contacts import ContactUnusable, check_contacts
from .domain import Case


@dataclass(frozen=True)
class ClassifyCase:
    case_id: UUID
    category: str
    actor: str
    kind: str | None = None  # None: as registered
    citizen: dict[str, Any] | None = None  # what the call-taker learnt: added to what was known
    traceparent: str | None = None


def completed_identity(
    known: dict[str, Any], given: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The citizen as known, with what was given over it; None when nothing changes."""
    if not given:
        return None
    merged = {**known, **{k: v for k, v in given.items() if v not in (None, "")}}
    if merged == known:
        return None
    try:
        citizen = Citizen.model_validate(merged).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise ContactUnusable("citizen", f"cittadino non valido: {reason}", reason) from exc
    check_contacts(citizen)
    return citizen


def recategorise_case(app: IntakeApplication, command: ClassifyCase) -> Case:
    """On the writer thread: a classified case's new kind or category, checked against the
    tenant's catalogue; routed again and its clocks re-evaluated downstream."""
    case = app.get_case(command.case_id)
    tenant = app.tenants[case.tenant]
    if tenant.category(command.category) is None:
        raise UnknownCategory(command.category, tenant)
    kind = command.kind or case.kind
    case.recategorise(kind, command.category, None, command.actor, app.clock(), traceparent())
    app.save(case)
    return case


def classify_case(app: IntakeApplication, command: ClassifyCase) -> Case:
    """On the writer thread: check the category against the tenant's catalogue, classify, link
    the citizen's new contacts to the case (an erasure asked by them finds it), save."""
    case = app.get_case(command.case_id)
    tenant = app.tenants[case.tenant]
    if tenant.category(command.category) is None:
        raise UnknownCategory(command.category, tenant)
    citizen = completed_identity(case.citizen, command.citizen)
    case.classify(
        command.kind or case.kind,
        command.category,
        citizen,
        command.actor,
        app.clock(),
        command.traceparent,
    )
    if citizen is not None and case.data_subject:
        app.vault.ensure([case.data_subject], [(case.id, p) for p in app.pseudonyms_of(citizen)])
    app.save(case)
    return case
