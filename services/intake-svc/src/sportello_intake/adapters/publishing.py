"""Maps intake's stored events to the public contract (never the raw stored state).

Nothing personal is published: no contact, no description, no location, no office free text
(docs/security.md). Those stay in intake's store, sealed under the citizen's key, and are
answered on `personal.<tenant>.<requester>` to who needs them (`adapters/personal_responder.py`).
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from sportello_contracts import EventPayload, case_triage
from sportello_contracts import case_acts as acts
from sportello_contracts import cases as public
from sportello_contracts.subjects import UNASSIGNED, case_subject
from sportello_shared.bus.relay import Outgoing, outgoing_for
from sportello_shared.personal_data import is_erased

from ..domain import Case, events
from ..domain.acts import CallbackDone, CallbackScheduled, Consulted, Transferred
from ..domain.corrections import CitizenUpdated, DuplicateMerged, Merged, Noted
from ..domain.triage import Forwarded, OfficeAnswered

SOURCE = "/sportello/intake-svc"


@singledispatch
def to_public(domain_event: Any) -> Outgoing | None:  # noqa: ARG001
    """Internal bookkeeping (reference counters, routing's decision on the file) stays inside."""
    return None


@to_public.register
def _(e: Case.Registered) -> Outgoing | None:
    # Published after an erasure too (a relay far behind): it holds nothing personal.
    payload = public.CaseReceived(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.received_at,
        actor=e.actor,
        kind=public.Kind(e.kind),
        channel=public.Channel(e.channel),
        category=e.category,
        has_location=bool(e.location),
        handling_mode=public.HandlingMode(e.handling_mode) if e.handling_mode else None,
        received_at=e.received_at,
        registered_at=e.registered_at,
        answered_on_the_spot=e.answered_on_the_spot,
    )
    return _outgoing(e, payload, e.tenant, None, e.traceparent)


@to_public.register
def _(e: events.AssignmentRecorded) -> Outgoing | None:
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
        has_location=bool(dossier.get("location")),
        handling_mode=dossier["handling_mode"],
        received_at=dossier["received_at"],
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: events.PersonalDataErased) -> Outgoing:
    payload = public.CasePersonalDataErased(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.occurred_at,
        actor=e.actor,
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: events.ReopenRequested) -> Outgoing | None:
    payload = public.CaseReopenRequested(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.occurred_at,
        actor=e.actor,
        **public.text_facts("reason", None if is_erased(e) else e.reason),
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: events.Classified) -> Outgoing:
    # on the triage's subject (who classified it); the completed identity stays with intake
    payload = public.CaseClassified(
        case_id=str(e.originator_id),
        reference=e.reference,
        occurred_at=e.occurred_at,
        actor=e.actor,
        kind=public.Kind(e.kind),
        category=e.category,
        previous_category=e.previous_category,
        identity_completed=e.citizen is not None,
    )
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


@to_public.register
def _(e: Noted) -> None:  # noqa: ARG001
    """The staff's notes stay inside: not the citizen's, nor any other service's."""
    return None


@to_public.register
def _(e: events.LifecycleEvent) -> Outgoing:
    common = {
        "case_id": str(e.originator_id),
        "reference": e.reference,
        "occurred_at": e.occurred_at,
        "actor": e.actor,
    }
    payload = _lifecycle_payload(e, common)
    return _outgoing(e, payload, e.tenant, e.organization, e.traceparent)


def _lifecycle_payload(e: events.LifecycleEvent, common: dict[str, Any]) -> EventPayload:
    match e:
        case events.Rejected():
            merged = isinstance(e, Merged)
            facts = public.text_facts("reason", e.reason)
            return public.CaseRejected(
                **common, **facts, duplicate_of=e.duplicate_of, merged=merged
            )
        case DuplicateMerged():
            return acts.CaseDuplicateMerged(
                **common, duplicate_reference=e.duplicate, duplicate_case_id=e.duplicate_case_id
            )
        case Transferred():
            return acts.CaseTransferred(**common, to=e.to)
        case Consulted():
            facts = public.text_facts("question", e.question)
            return acts.CaseConsulted(**common, **facts, **public.text_facts("answer", e.answer))
        case CallbackScheduled():
            return acts.CaseCallbackScheduled(**common, **public.text_facts("note", e.note))
        case CallbackDone():
            return acts.CaseCallbackDone(
                **common, means=e.means, **public.text_facts("note", e.note)
            )
        case Forwarded():
            return case_triage.CaseForwarded(**common, to=e.to)
        case OfficeAnswered():
            return case_triage.CaseOfficeAnswered(**common, **public.text_facts("answer", e.answer))
        case CitizenUpdated():
            return acts.CaseCitizenUpdated(**common, **public.text_facts("message", e.message))
        case events.TakenInCharge():
            return public.CaseTakenInCharge(
                **common, organization=e.organization or UNASSIGNED, operator=e.actor
            )
        case events.CitizenContacted():
            return public.CaseCitizenContacted(
                **common, means=e.means, **public.text_facts("note", e.note)
            )
        case events.WaitingForCitizen():
            return public.CaseWaitingForCitizen(**common, **public.text_facts("request", e.request))
        case events.Resumed():
            return public.CaseResumed(**common)
        case events.Resolved():
            return public.CaseResolved(**common, **public.text_facts("outcome", e.outcome))
        case events.Closed():
            return public.CaseClosed(**common, **public.text_facts("outcome", e.outcome))
        case events.Reopened():
            return public.CaseReopened(**common, **public.text_facts("reason", e.reason))
        case events.ReassignmentRequested():
            return public.CaseReassignmentRequested(
                **common,
                organization=e.organization or UNASSIGNED,
                **public.text_facts("reason", e.reason),
            )
    raise TypeError(f"no public form for {type(e).__name__}")


def _outgoing(
    e: Any, payload: EventPayload, tenant: str, organization: str | None, traceparent: str | None
) -> Outgoing:
    subject = case_subject(tenant, organization, payload.event)
    return outgoing_for(e, payload, subject=subject, source=SOURCE, traceparent=traceparent)


# Casale's procedures (issue 18 point 6): their public forms register themselves on `to_public`
from . import publishing_procedures as _procedures  # noqa: E402

__all__ = ["SOURCE", "_procedures", "to_public"]
