"""Casale's procedures in the application (issue 18, point 6): which categories a tenant
protocols, inspects and attests (`deploy/tenants/<t>/procedures.yaml`), the port of the
Comune's protocol system, and the checks a procedure step needs beyond the case's status.

`prepare` is called by `IntakeApplication.execute` for every row: it leaves the other rows'
details as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .domain import Case, CaseError, Status

PROCEDURE_STEPS = ("protocol", "schedule_inspection", "report_inspection", "issue_attestation")
ROME = ZoneInfo("Europe/Rome")  # the day an application was received, as the Comune counts it


class ProtocolRegister(Protocol):
    """The port of the Comune's protocol system: a number for a tenant's document."""

    def draw(self, tenant: str, at: datetime, number_format: str) -> str:
        """The next number of `tenant`'s register for the year of `at` (Europe/Rome)."""
        ...


class ReportFiles(Protocol):
    """Where the inspection reports are kept (intake's attachment store): each file once,
    named by its SHA-256, with the cases that reference it (erased with their citizen)."""

    def put(self, data: bytes) -> str: ...

    def link(self, digest: str, case_id: UUID, data_subject: str) -> None: ...

    def contains(self, digest: str) -> bool: ...


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProtocolPolicy(_Frozen):
    # `intake`: numbered by intake's own register, per tenant and year
    keeper: str = Field(default="intake", pattern=r"^intake$")
    number_format: str = "{year}/{number:06d}"
    categories: frozenset[str] | None = None  # None: any category may be protocolled


class CategoryList(_Frozen):
    categories: frozenset[str] = frozenset()


class TenantProcedures(_Frozen):
    """deploy/tenants/<t>/procedures.yaml."""

    tenant: str
    protocol: ProtocolPolicy | None = None
    inspection: CategoryList = CategoryList()
    attestation: CategoryList = CategoryList()


@dataclass
class Procedures:
    tenants: dict[str, TenantProcedures] = field(default_factory=dict)
    register: ProtocolRegister | None = None
    reports: ReportFiles | None = None

    def of(self, tenant: str) -> TenantProcedures:
        return self.tenants.get(tenant) or TenantProcedures(tenant=tenant)


def load_procedures(directory: Path) -> dict[str, TenantProcedures]:
    found: dict[str, TenantProcedures] = {}
    for path in sorted(directory.glob("*/procedures.yaml")):
        policy = TenantProcedures.model_validate(yaml.safe_load(path.read_text("utf-8")))
        found[policy.tenant] = policy
    return found


class ProcedureRefused(CaseError):
    """A procedure step the case's category or its file does not allow now (409)."""

    def __init__(self, code: str, it: str, en: str) -> None:
        super().__init__(en)
        self.code, self.it, self.en = code, it, en

    def localized(self, language: str) -> str:
        return self.en if language == "en" else self.it

    def problem_extra(self) -> dict[str, Any]:
        return {"procedure": self.code}


class ProcedureDetailInvalid(ProcedureRefused):
    """A procedure step whose detail cannot be true of this file, e.g. an attestation dated
    before the application was received (422, naming the field)."""

    def __init__(self, code: str, field: str, it: str, en: str) -> None:
        super().__init__(code, it, en)
        self.field = field

    def problem_extra(self) -> dict[str, Any]:
        return {"procedure": self.code, "field": self.field}


def prepare(
    procedures: Procedures,
    case: Case,
    command: str,
    details: dict[str, Any],
    now: datetime,
    *,
    triage_first: bool = False,
) -> dict[str, Any]:
    """The details of a procedure step, checked against the tenant's procedures and the file;
    the protocol number drawn from the register when none is given. In a `triage_first` tenant
    the inspection is the competent office's, on the case forwarded to it, and the front office
    issues the attestation once that office has answered."""
    if command not in PROCEDURE_STEPS:
        return details
    policy = procedures.of(case.tenant)
    category = case.category
    if command == "protocol":
        return _protocol(procedures, policy, case, details, now)
    if command in ("schedule_inspection", "report_inspection"):
        if category not in policy.inspection.categories:
            raise ProcedureRefused(
                "inspection_not_required",
                f"la categoria {category} non prevede un sopralluogo",
                f"the category {category} needs no inspection",
            )
        if triage_first and case.status is not Status.FORWARDED:
            raise ProcedureRefused(
                "inspection_not_forwarded",
                "il sopralluogo spetta all'ufficio competente: prima si inoltra la pratica "
                "(forward)",
                "the inspection is the competent office's: forward the case to it first",
            )
        if command == "report_inspection":
            return _report(procedures, case, details)
        return details
    if category not in policy.attestation.categories:
        raise ProcedureRefused(
            "no_attestation",
            f"la categoria {category} non si conclude con un'attestazione",
            f"the category {category} does not end with an attestation",
        )
    inspection = getattr(case, "inspection", None) or {}
    if category in policy.inspection.categories and inspection.get("status") != "reported":
        raise ProcedureRefused(
            "inspection_not_reported",
            "l'attestazione si rilascia dopo il verbale del sopralluogo",
            "the attestation is issued after the inspection's report",
        )
    if triage_first and case.status is not Status.OFFICE_ANSWERED:
        raise ProcedureRefused(
            "office_not_answered",
            "l'attestazione si rilascia dopo la risposta dell'ufficio competente: inoltrare la "
            "pratica (forward) e attenderne la risposta (office-answer)",
            "the attestation is issued once the competent office has answered: forward the "
            "case and wait for its answer (office-answer)",
        )
    issued_on = _issued_on(case, details.get("issued_on"), now)
    return {**details, "issued_on": issued_on.isoformat()}


def _issued_on(case: Case, given: Any, now: datetime) -> date:
    """The attestation's date: not before the day the application was received, nor after
    today (an act is recorded once issued: the legal clock stops at its recording)."""
    issued_on = given if isinstance(given, date) else date.fromisoformat(str(given))
    received_on = case.received_at.astimezone(ROME).date()
    today = now.astimezone(ROME).date()
    if issued_on > today:
        raise ProcedureDetailInvalid(
            "issued_in_the_future",
            "issued_on",
            f"l'attestazione non può essere registrata come rilasciata il "
            f"{issued_on:%d/%m/%Y}, una data futura (oggi è il {today:%d/%m/%Y})",
            f"the attestation cannot be recorded as issued on {issued_on.isoformat()}, a "
            f"future date (today is {today.isoformat()})",
        )
    if issued_on < received_on:
        shown = f"{issued_on:%d/%m/%Y}", f"{received_on:%d/%m/%Y}"
        raise ProcedureDetailInvalid(
            "issued_before_receipt",
            "issued_on",
            f"l'attestazione non può essere rilasciata il {shown[0]}, prima del ricevimento "
            f"della domanda ({shown[1]})",
            f"the attestation cannot be issued on {issued_on.isoformat()}, before the "
            f"application was received ({received_on.isoformat()})",
        )
    return issued_on


def _protocol(
    procedures: Procedures,
    policy: TenantProcedures,
    case: Case,
    details: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    done = getattr(case, "protocolled", None)
    if done:
        number = done["protocol_number"]
        raise ProcedureRefused(
            "already_protocolled",
            f"la pratica è già protocollata (n. {number})",
            f"the case is protocolled already (no. {number})",
        )
    protocol = policy.protocol
    if protocol is None or (
        protocol.categories is not None and case.category not in protocol.categories
    ):
        raise ProcedureRefused(
            "no_protocol",
            f"{case.tenant} non protocolla le pratiche della categoria {case.category}",
            f"{case.tenant} does not protocol cases of the category {case.category}",
        )
    if details.get("protocol_number"):
        return details
    if procedures.register is None:
        raise ProcedureRefused(
            "no_protocol_register",
            "nessun registro di protocollo disponibile: indicare il numero",
            "no protocol register available: give the number",
        )
    number = procedures.register.draw(case.tenant, now, protocol.number_format)
    return {**details, "protocol_number": number}


def _report(procedures: Procedures, case: Case, details: dict[str, Any]) -> dict[str, Any]:
    inspection = getattr(case, "inspection", None) or {}
    if not inspection:
        raise ProcedureRefused(
            "inspection_not_scheduled",
            "il verbale si registra dopo aver fissato il sopralluogo",
            "the report is recorded once the inspection is scheduled",
        )
    digest = details["report"]
    on_file = any(str(a.get("uri", "")).endswith(digest) for a in case.attachments or [])
    stored = procedures.reports is not None and procedures.reports.contains(digest)
    if not (on_file or stored):
        raise ProcedureRefused(
            "unknown_report",
            f"nessun allegato {digest[:12]}… : caricare prima il verbale",
            f"no attachment {digest[:12]}…: upload the report first",
        )
    return details
