"""The case events sla-svc's clocks heed.

`LIFECYCLE` are the events after `case.received` that may stop, suspend, resume or restart a
clock (`SlaApplication.react`'s default reaction); `HEEDED_CASE_EVENTS` adds the two with
reactions of their own, and is all that sla-svc's consumer of CASES asks JetStream for
(main.py): any other (a partner's `handed_over`, a note) would cost a fetch, a tracking row and
an ack apiece. A case event's subject ends with its name (`subjects.case_subject`).
"""

from __future__ import annotations

from sportello_contracts import case_acts, case_procedures, case_triage
from sportello_contracts import cases as case_events

LIFECYCLE = (
    case_events.CaseAssigned,
    case_events.CaseRejected,
    case_events.CaseTakenInCharge,
    case_events.CaseCitizenContacted,
    case_events.CaseWaitingForCitizen,
    case_events.CaseResumed,
    case_events.CaseResolved,
    case_events.CaseClosed,
    case_events.CaseReopened,
    case_events.CaseReassignmentRequested,
    # the contact centre's acts (issue 18): a standard may stop on them (Pisa's callback_done)
    case_acts.CaseTransferred,
    case_acts.CaseConsulted,
    case_acts.CaseCallbackScheduled,
    case_acts.CaseCallbackDone,
    # Casale's procedures (issue 18 point 6): the attestation's legal clock stops on its issuance
    case_procedures.CaseProtocolled,
    case_procedures.CaseInspectionScheduled,
    case_procedures.CaseInspectionReported,
    case_procedures.CaseAttestationIssued,
    # the triage-first workflow (issue 18): a forwarding standard stops on `forwarded`
    case_triage.CaseForwarded,
    case_triage.CaseOfficeAnswered,
)

HEEDED_CASE_EVENTS: tuple[str, ...] = tuple(
    t.event for t in (case_events.CaseReceived, case_events.CaseClassified, *LIFECYCLE)
)
