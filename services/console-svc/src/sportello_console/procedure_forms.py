"""Casale's procedures on the case page (issue 18 point 6): protocol the application, schedule
and report the site inspection (the verbale uploaded with the form), issue the attestation.

Offered only where the tenant's procedures.yaml says (the same file intake checks) and the case
stands where intake's transition table allows them; intake refuses anything else anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml
from starlette.datastructures import UploadFile

from .identity import IN_OFFICE_HANDS as IN_HANDS
from .identity import OPEN_STATUSES, StaffUser
from .services import Refused, Services, Unavailable, _check

# each step's form fields, as `_action.html` draws them
PROCEDURE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "protocol": (("protocol_number", "line"),),
    "schedule-inspection": (("scheduled_for", "datetime"), ("inspector", "line")),
    "report-inspection": (("report", "file"), ("finding", "finding")),
    "issue-attestation": (
        ("attestation_number", "line"),
        ("issued_on", "date"),
        ("outcome", "text"),
    ),
}
OPTIONAL_FIELDS = frozenset({"protocol_number"})  # none: drawn from the register


@dataclass(frozen=True)
class TenantSteps:
    protocol: frozenset[str] | None = None  # None: the tenant protocols nothing
    inspection: frozenset[str] = frozenset()
    attestation: frozenset[str] = frozenset()
    triage_first: bool = False  # tenant.yaml's workflow: the office inspects a forwarded case


# where intake lets the inspecting office (an office's staff, or an admin) schedule and report
INSPECTING = IN_HANDS - {"office_answered"}
INSPECTING_FORWARDED = frozenset({"forwarded"})  # triage-first: the case forwarded to it


@dataclass(frozen=True)
class ProcedureSteps:
    by_tenant: dict[str, TenantSteps] = field(default_factory=dict)

    def offered(self, user: StaffUser, case: dict[str, Any]) -> list[str]:
        """The procedure steps worth offering on this case to this user. Triage-first (Casale's
        URP): the URP protocols; the office the case is forwarded to inspects; the URP issues
        the attestation once that office has answered."""
        steps = self.by_tenant.get(case["tenant"])
        if steps is None or user.kind == "auditor":
            return []
        category, status = case["category"], case["status"]
        offered: list[str] = []
        front_office = user.kind != "office"
        protocols = front_office and steps.protocol is not None and category in steps.protocol
        if protocols and status in OPEN_STATUSES and not case.get("protocol"):
            offered.append("protocol")
        its_own = case.get("organization") == user.organization
        inspects = user.kind == "admin" or (user.kind == "office" and its_own)
        inspecting = INSPECTING_FORWARDED if steps.triage_first else INSPECTING
        inspection = case.get("inspection") or {}
        if category in steps.inspection and inspects and status in inspecting:
            offered.append("schedule-inspection")
            if inspection:
                offered.append("report-inspection")
        attesting = frozenset({"office_answered"}) if steps.triage_first else IN_HANDS
        inspected = category not in steps.inspection or inspection.get("status") == "reported"
        handles = front_office or its_own
        if category in steps.attestation and inspected and handles and status in attesting:
            offered.append("issue-attestation")
        return offered


def load_procedure_steps(tenants_dir: Path) -> ProcedureSteps:
    found: dict[str, TenantSteps] = {}
    for path in sorted(tenants_dir.glob("*/procedures.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        tenant_file = path.parent / "tenant.yaml"
        tenant = (
            yaml.safe_load(tenant_file.read_text(encoding="utf-8")) if tenant_file.exists() else {}
        )
        protocol = document.get("protocol")
        found[document["tenant"]] = TenantSteps(
            protocol=frozenset(protocol.get("categories") or ()) if protocol else None,
            inspection=frozenset((document.get("inspection") or {}).get("categories") or ()),
            attestation=frozenset((document.get("attestation") or {}).get("categories") or ()),
            triage_first=(tenant or {}).get("workflow") == "triage-first",
        )
    return ProcedureSteps(found)


async def procedure_body(
    services: Services,
    token: str,
    case_id: str,
    action: str,
    form: dict[str, str],
    upload: Any,
    timezone: str,
) -> dict[str, Any]:
    """What intake's step takes, from the form: the local time made aware, the verbale
    uploaded first (its SHA-256 is the report), an empty protocol number left to the register."""
    body: dict[str, Any] = {name: form.get(name, "") for name, _ in PROCEDURE_FIELDS[action]}
    if action == "protocol" and not body["protocol_number"]:
        del body["protocol_number"]
    if action == "schedule-inspection":
        local = datetime.fromisoformat(body["scheduled_for"]).replace(tzinfo=ZoneInfo(timezone))
        body["scheduled_for"] = local.isoformat()
    if action == "report-inspection":
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused(422, "", [{"field": "report", "message": "file"}])
        data = await upload.read()
        media = upload.content_type or "application/octet-stream"
        stored = await _upload(services, token, case_id, upload.filename, data, media)
        body["report"] = stored["sha256"]
    return body


async def _upload(
    services: Services, token: str, case_id: str, name: str, data: bytes, media: str
) -> dict[str, Any]:
    try:
        response = await services.client.post(
            f"{services.urls['intake']}/attachments/cases/{case_id}",
            files={"file": (name, data, media)},
            headers={"authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise Unavailable(f"intake: {type(exc).__name__}") from exc
    _check("intake", response)
    stored: dict[str, Any] = response.json()
    return stored
