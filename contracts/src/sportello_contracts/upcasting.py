"""Events as earlier producers published them, read as today's versions (upcasting).

`case.received` v1 and `case.handed_over` v1 carried the citizen, the description, the location
and the attachments; the office's lifecycle events v1 carried their free text. Readers drop all of
that and keep the facts, so a consumer reading an old stream (or a partner's copy) never handles
personal data; `sportello-intake restream` rewrites the stored v1 messages as v2 and purges them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import cases
from .envelope import CloudEvent, EventPayload, dataschema_for

Upcast = Callable[[dict[str, Any]], dict[str, Any]]
PERSONAL_FIELDS = ("citizen", "description", "location", "attachments", "follow_token")


def _facts(data: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in data.items() if k not in PERSONAL_FIELDS}
    kept["has_location"] = bool(data.get("location"))
    return kept


def _text(name: str) -> Upcast:
    def upcast(data: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in data.items() if k != name}
        text = data.get(name)
        return kept | cases.text_facts(name, text if isinstance(text, str) else None)

    return upcast


UPCASTS: dict[type[EventPayload], Upcast] = {
    cases.CaseReceived: _facts,
    cases.CaseHandedOver: _facts,
    cases.CaseRejected: _text("reason"),
    cases.CaseCitizenContacted: _text("note"),
    cases.CaseWaitingForCitizen: _text("request"),
    cases.CaseResolved: _text("outcome"),
    cases.CaseClosed: _text("outcome"),
    cases.CaseReopened: _text("reason"),
    cases.CaseReopenRequested: _text("reason"),
    cases.CaseReassignmentRequested: _text("reason"),
}


MANUAL = "reassigned by "


def _assigned_reasons(data: dict[str, Any]) -> dict[str, Any]:
    """`case.assigned` v1 before the note went apart quoted a manual reassignment's reason as
    `reassigned by <actor>: <the operator's words>`: keep who, drop the words."""
    reasons, quoted = [], ""
    for reason in data.get("reasons") or []:
        if isinstance(reason, str) and reason.startswith(MANUAL) and ": " in reason:
            reason, quoted = reason.split(": ", 1)
        reasons.append(reason)
    if not quoted:
        return data
    return data | {"reasons": reasons} | cases.text_facts("reason", quoted)


# Same version, read without the free text that earlier producers put in a field that stays.
SCRUBS: dict[type[EventPayload], Upcast] = {cases.CaseAssigned: _assigned_reasons}


def scrub(data: dict[str, Any], payload_type: type[EventPayload]) -> dict[str, Any]:
    scrubbing = SCRUBS.get(payload_type)
    return scrubbing(data) if scrubbing else data


def v1_type(payload_type: type[EventPayload]) -> str:
    return f"it.sportello.{payload_type.aggregate}.{payload_type.event}.v1"


def upcast(data: dict[str, Any], payload_type: type[EventPayload]) -> dict[str, Any]:
    """A v1 payload's data as `payload_type` (today's version) reads it."""
    return UPCASTS[payload_type](data)


BY_V1_TYPE: dict[str, type[EventPayload]] = {v1_type(t): t for t in UPCASTS}


def current_form(event: CloudEvent) -> CloudEvent | None:
    """The event as today's producer would publish it, when the stored one says more: a v1
    with personal data or office text as its current version, a field's free text scrubbed.
    None when it is already in its current form (or of a type this build does not rewrite).
    Same id, subject, time, tenant and organization: consumers see the same event."""
    payload_type = BY_V1_TYPE.get(event.type)
    if payload_type is not None:
        data = upcast(event.data, payload_type)
    elif event.type.endswith(".v1") and (payload_type := _scrubbed_type(event.type)):
        data = scrub(event.data, payload_type)
        if data == event.data:
            return None
    else:
        return None
    payload = payload_type.model_validate(data)
    return event.model_copy(
        update={
            "type": payload_type.event_type(),
            "dataschema": dataschema_for(payload_type),
            "data": payload.model_dump(mode="json"),
        }
    )


def _scrubbed_type(event_type: str) -> type[EventPayload] | None:
    return next((t for t in SCRUBS if t.event_type() == event_type), None)
