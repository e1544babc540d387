"""Maps sla-svc's stored Clock events to the public contract (never the raw stored state)."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from sportello_contracts import EventPayload
from sportello_contracts.sla import SlaBreached, SlaDeadlineSet, SlaMet, SlaWarning
from sportello_contracts.subjects import sla_subject
from sportello_shared.bus.relay import Outgoing, outgoing_for

from ..domain import Clock

SOURCE = "/sportello/sla-svc"


@singledispatch
def to_public(domain_event: Any) -> Outgoing | None:  # noqa: ARG001
    """Case facts, ratings and bookkeeping (assignments, late or earlier stops) stay inside."""
    return None


@to_public.register(Clock.Started)
@to_public.register(Clock.Suspended)
@to_public.register(Clock.Resumed)
@to_public.register(Clock.Restarted)
def _(e: Any) -> Outgoing:
    """A deadline was (re)computed: intake fills Open311's expected_datetime from it."""
    return _outgoing(e, SlaDeadlineSet(**_context(e)))


@to_public.register
def _(e: Clock.Warned) -> Outgoing:
    return _outgoing(e, SlaWarning(**_context(e), at=e.at))


@to_public.register
def _(e: Clock.Met) -> Outgoing:
    return _outgoing(e, SlaMet(**_context(e), at=e.at))


@to_public.register
def _(e: Clock.Breached) -> Outgoing:
    return _outgoing(e, SlaBreached(**_context(e), at=e.at))


def _context(e: Any) -> dict[str, Any]:
    return {
        "case_id": str(e.case_id),
        "standard": e.standard,
        "policy_version": e.policy_version,
        "started_at": e.started_at,
        "deadline": e.deadline,
    }


def _outgoing(e: Any, payload: EventPayload) -> Outgoing:
    subject = sla_subject(e.tenant, e.organization, payload.event)
    return outgoing_for(e, payload, subject=subject, source=SOURCE, traceparent=e.traceparent)
