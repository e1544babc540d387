"""Every published payload type, looked up by its CloudEvents `type`."""

from __future__ import annotations

from . import case_acts, case_procedures, case_triage, cases, ingest, notifications, sla
from .envelope import CloudEvent, EventPayload
from .upcasting import BY_V1_TYPE, scrub, upcast

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
    cases.CaseReopenRequested,
    cases.CaseReopenDeclined,
    cases.CaseReassignmentRequested,
    cases.CaseClassified,
    cases.CaseHandedOver,
    cases.CasePersonalDataErased,
    case_acts.CaseDuplicateMerged,
    case_acts.CaseCitizenUpdated,
    case_acts.CaseTransferred,
    case_acts.CaseConsulted,
    case_acts.CaseCallbackScheduled,
    case_acts.CaseCallbackDone,
    # Casale's procedures (issue 18 point 6)
    case_procedures.CaseProtocolled,
    case_procedures.CaseInspectionScheduled,
    case_procedures.CaseInspectionReported,
    case_procedures.CaseAttestationIssued,
    # the triage-first workflow (issue 18, point 2)
    case_triage.CaseForwarded,
    case_triage.CaseOfficeAnswered,
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
    """The typed payload; a v1 event that carried personal data is read as today's version,
    without it (`upcasting.py`)."""
    payload_type = BY_TYPE.get(envelope.type)
    if payload_type is not None:
        return payload_type.model_validate(scrub(envelope.data, payload_type))
    upcast_to = BY_V1_TYPE.get(envelope.type)
    if upcast_to is not None:
        return upcast_to.model_validate(upcast(envelope.data, upcast_to))
    raise UnknownEventType(envelope.type)
