"""Maps routing decisions to the public `case.assigned` / `case.routing_failed` events."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from sportello_contracts import EventPayload
from sportello_contracts.cases import CaseAssigned, CaseRoutingFailed, text_facts
from sportello_contracts.subjects import case_subject
from sportello_shared.bus.relay import Outgoing, outgoing_for

from ..domain import Assignment

SOURCE = "/sportello/routing-svc"


@singledispatch
def to_public(domain_event: Any) -> Outgoing | None:  # noqa: ARG001
    return None


@to_public.register
def _(e: Assignment.Assigned) -> Outgoing:
    payload = CaseAssigned(
        case_id=e.case_id,
        reference=e.reference,
        occurred_at=e.occurred_at,
        actor=e.actor,
        organization=e.organization,
        organization_name=e.organization_name,
        rule_id=e.rule_id,
        rule_version=e.rule_version,
        reasons=e.reasons,
        **text_facts("reason", e.note),  # an operator's own words stay in routing
    )
    return _outgoing(e, payload)


@to_public.register
def _(e: Assignment.RoutingFailed) -> Outgoing:
    payload = CaseRoutingFailed(
        case_id=e.case_id,
        reference=e.reference,
        occurred_at=e.occurred_at,
        actor=e.actor,
        reason="; ".join(e.reasons),
        triage_organization=e.organization,
    )
    return _outgoing(e, payload)


def _outgoing(e: Assignment.Decided, payload: EventPayload) -> Outgoing:
    # Published under the organization that now handles the case: its partner subscribes there.
    subject = case_subject(e.tenant, e.organization, payload.event)
    return outgoing_for(e, payload, subject=subject, source=SOURCE, traceparent=e.traceparent)
