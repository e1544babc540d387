"""Every published payload type, looked up by its CloudEvents `type`."""

from __future__ import annotations

from . import cases, ingest, notifications, sla
from .envelope import CloudEvent, EventPayload

PAYLOAD_TYPES: tuple[type[EventPayload], ...] = (
    cases.CaseReceived,
    cases.CaseRejected,
    cases.CaseAssigned,
    cases.CaseRoutingFailed,
    cases.CaseTakenInCharge,
    cases.CaseCitizenContacted,
    cases.CaseWaitingForCitizen,
    cases.CaseResumed,
    cases.CaseResolved,
    cases.CaseClosed,
    cases.CaseReopened,
    cases.CaseReassignmentRequested,
    cases.CaseHandedOver,
    cases.CasePersonalDataErased,
    sla.SlaDeadlineSet,
    sla.SlaWarning,
    sla.SlaBreached,
    sla.SlaMet,
    notifications.NotificationSent,
    notifications.NotificationFailed,
    notifications.SurveyAnswered,
    ingest.CaseSubmitted,
    ingest.CaseStatusReported,
)

BY_TYPE: dict[str, type[EventPayload]] = {cls.event_type(): cls for cls in PAYLOAD_TYPES}


class UnknownEventType(LookupError):
    """The envelope is valid but names a type this build does not know (e.g. a newer version)."""


def parse_payload(envelope: CloudEvent) -> EventPayload:
    try:
        payload_type = BY_TYPE[envelope.type]
    except KeyError:
        raise UnknownEventType(envelope.type) from None
    return payload_type.model_validate(envelope.data)
