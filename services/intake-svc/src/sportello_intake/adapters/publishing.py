"""Maps intake's stored events to the public contract (never the raw stored state)."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from sportello_shared.bus.relay import Outgoing, outgoing_for
from sportello_shared.contracts import EventPayload
from sportello_shared.contracts.cases import (
    CaseClosed,
    CaseReceived,
    CaseTakenInCharge,
    Citizen,
    Location,
)
from sportello_shared.contracts.subjects import case_subject

from ..domain import Case

SOURCE = "/sportello/intake-svc"


@singledispatch
def to_public(domain_event: Any) -> Outgoing | None:  # noqa: ARG001
    """Internal bookkeeping (reference counters, routing's decision on the file) stays inside."""
    return None


@to_public.register
def _(e: Case.Registered) -> Outgoing:
    payload = CaseReceived(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.received_at,
        kind=e.kind,
        channel=e.channel,
        category=e.category,
        description=e.description,
        citizen=Citizen.model_validate(e.citizen),
        location=Location.model_validate(e.location) if e.location else None,
        handling_mode=e.handling_mode,
        received_at=e.received_at,
        registered_at=e.registered_at,
    )
    return _outgoing(e, payload, e.tenant, None, e.traceparent)


@to_public.register
def _(e: Case.TakenInCharge) -> Outgoing:
    payload = CaseTakenInCharge(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.occurred_at,
        organization=e.organization or "",
        operator=e.operator,
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: Case.Closed) -> Outgoing:
    payload = CaseClosed(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.occurred_at,
        outcome=e.outcome,
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


def _outgoing(
    e: Any, payload: EventPayload, tenant: str, organization: str | None, traceparent: str | None
) -> Outgoing:
    subject = case_subject(tenant, organization, payload.event)
    return outgoing_for(e, payload, subject=subject, source=SOURCE, traceparent=traceparent)
