"""Maps sla-svc's stored Clock events to the public contract (never the raw stored state)."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from sportello_shared.bus.relay import Outgoing, outgoing_for
from sportello_shared.contracts import EventPayload
from sportello_shared.contracts.sla import SlaBreached, SlaDeadlineSet, SlaMet
from sportello_shared.contracts.subjects import sla_subject

from ..domain import Clock

SOURCE = "/sportello/sla-svc"


@singledispatch
def to_public(domain_event: Any) -> Outgoing | None:  # noqa: ARG001
    """Internal bookkeeping (who the case is assigned to, a stop after a breach) stays inside."""
    return None


@to_public.register
def _(e: Clock.Started) -> Outgoing:
    payload = SlaDeadlineSet(
        case_id=str(e.case_id),
        standard=e.standard,
        policy_version=e.policy_version,
        started_at=e.started_at,
        deadline=e.deadline,
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: Clock.Met) -> Outgoing:
    payload = SlaMet(
        case_id=str(e.case_id),
        standard=e.standard,
        policy_version=e.policy_version,
        started_at=e.started_at,
        deadline=e.deadline,
        at=e.at,
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: Clock.Breached) -> Outgoing:
    payload = SlaBreached(
        case_id=str(e.case_id),
        standard=e.standard,
        policy_version=e.policy_version,
        started_at=e.started_at,
        deadline=e.deadline,
        at=e.at,
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


def _outgoing(
    e: Any, payload: EventPayload, tenant: str, organization: str | None, traceparent: str | None
) -> Outgoing:
    subject = sla_subject(tenant, organization, payload.event)
    return outgoing_for(e, payload, subject=subject, source=SOURCE, traceparent=traceparent)
