"""The public form of Casale's procedure steps (issue 18 point 6; `contracts.case_procedures`).

Registered on `publishing.to_public`, more specific than the lifecycle's generic form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sportello_contracts import case_procedures as public
from sportello_contracts.cases import text_facts

from ..domain.procedures import (
    AttestationIssued,
    InspectionReported,
    InspectionScheduled,
    Protocolled,
)
from .publishing import _outgoing, to_public


def _common(e: Any) -> dict[str, Any]:
    return {
        "case_id": str(e.originator_id),
        "reference": e.reference,
        "occurred_at": e.occurred_at,
        "actor": e.actor,
    }


@to_public.register
def _(e: Protocolled) -> Any:
    payload = public.CaseProtocolled(**_common(e), protocol_number=e.protocol_number)
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: InspectionScheduled) -> Any:
    scheduled_for: datetime = e.scheduled_for
    payload = public.CaseInspectionScheduled(
        **_common(e), scheduled_for=scheduled_for, inspector=e.inspector
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: InspectionReported) -> Any:
    payload = public.CaseInspectionReported(**_common(e), report_sha256=e.report, finding=e.finding)
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: AttestationIssued) -> Any:
    payload = public.CaseAttestationIssued(
        **_common(e),
        attestation_number=e.attestation_number,
        issued_on=e.issued_on,
        **text_facts("outcome", e.outcome),
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)
