"""Maps intake's stored events to the public contract (never the raw stored state)."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from sportello_shared.bus.relay import Outgoing, outgoing_for
from sportello_shared.contracts import EventPayload
from sportello_shared.contracts import cases as public
from sportello_shared.contracts.subjects import UNASSIGNED, case_subject
from sportello_shared.personal_data import is_erased

from ..domain import Case

SOURCE = "/sportello/intake-svc"


@singledispatch
def to_public(domain_event: Any) -> Outgoing | None:  # noqa: ARG001
    """Internal bookkeeping (reference counters, routing's decision on the file) stays inside."""
    return None


@to_public.register
def _(e: Case.Registered) -> Outgoing | None:
    if is_erased(e):  # relayed after the erasure (a relay far behind): the contact is gone
        return None
    payload = public.CaseReceived(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.received_at,
        actor=e.actor,
        kind=public.Kind(e.kind),
        channel=public.Channel(e.channel),
        category=e.category,
        description=e.description,
        citizen=public.Citizen.model_validate(e.citizen),
        location=public.Location.model_validate(e.location) if e.location else None,
        handling_mode=public.HandlingMode(e.handling_mode) if e.handling_mode else None,
        received_at=e.received_at,
        registered_at=e.registered_at,
    )
    return _outgoing(e, payload, e.tenant, None, e.traceparent)


@to_public.register
def _(e: Case.AssignmentRecorded) -> Outgoing | None:
    if not e.dossier or is_erased(e):  # recorded before v2, or erased: nothing to hand over
        return None
    dossier = e.dossier
    payload = public.CaseHandedOver(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.occurred_at,
        actor="routing-svc",
        organization=e.organization,
        kind=public.Kind(dossier["kind"]),
        channel=public.Channel(dossier["channel"]),
        category=dossier["category"],
        description=dossier["description"],
        citizen=public.Citizen.model_validate(dossier["citizen"]),
        location=public.Location.model_validate(dossier["location"])
        if dossier["location"]
        else None,
        handling_mode=dossier["handling_mode"],
        received_at=dossier["received_at"],
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: Case.PersonalDataErased) -> Outgoing:
    payload = public.CasePersonalDataErased(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.occurred_at,
        actor=e.actor,
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: Case.LifecycleEvent) -> Outgoing:
    common = {
        "case_id": str(e.originator_id),
        "reference": e.reference,
        "occurred_at": e.occurred_at,
        "actor": e.actor,
    }
    payload = _lifecycle_payload(e, common)
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


def _lifecycle_payload(e: Case.LifecycleEvent, common: dict[str, Any]) -> EventPayload:
    match e:
        case Case.Rejected():
            return public.CaseRejected(**common, reason=e.reason)
        case Case.TakenInCharge():
            return public.CaseTakenInCharge(
                **common, organization=e.organization or UNASSIGNED, operator=e.actor
            )
        case Case.CitizenContacted():
            return public.CaseCitizenContacted(**common, means=e.means, note=e.note)
        case Case.WaitingForCitizen():
            return public.CaseWaitingForCitizen(**common, request=e.request)
        case Case.Resumed():
            return public.CaseResumed(**common)
        case Case.Resolved():
            return public.CaseResolved(**common, outcome=e.outcome)
        case Case.Closed():
            return public.CaseClosed(**common, outcome=e.outcome)
        case Case.Reopened():
            return public.CaseReopened(**common, reason=e.reason)
        case Case.ReassignmentRequested():
            return public.CaseReassignmentRequested(
                **common, organization=e.organization or UNASSIGNED, reason=e.reason
            )
    raise TypeError(f"no public form for {type(e).__name__}")


def _outgoing(
    e: Any, payload: EventPayload, tenant: str, organization: str | None, traceparent: str | None
) -> Outgoing:
    subject = case_subject(tenant, organization, payload.event)
    return outgoing_for(e, payload, subject=subject, source=SOURCE, traceparent=traceparent)
