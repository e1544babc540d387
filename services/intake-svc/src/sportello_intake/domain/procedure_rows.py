"""The transition table's rows of Casale's procedures (issue 18 point 6): protocol, the site
inspection scheduled and reported, the attestation issued. Which categories need them is the
tenant's `procedures.yaml` (checked in the application layer, `sportello_intake.procedures`).

Who does what (seed 001, Casale's URP triage-first): the URP protocols the application and
forwards it; the office it was forwarded to (the Polizia Locale) schedules the inspection and
reports it with the verbale while the case is forwarded to it, then answers the URP
(`office-answer`); the URP issues the attestation and closes to the citizen.
"""

from __future__ import annotations

from . import procedures as p
from .status import IN_HANDS_OF_OFFICE, OPEN, Status
from .transitions import ADMIN, CONTACT_CENTRE, OFFICE, Transition

# the office inspecting: with the case in its hands (direct), or forwarded to it (triage-first);
# not once it has answered the front office (the case is the front office's again)
INSPECTING = (IN_HANDS_OF_OFFICE - {Status.OFFICE_ANSWERED}) | {Status.FORWARDED}
OFFICES = frozenset({OFFICE, ADMIN})  # the competent office's staff, not the call-takers

PROCEDURE_ROWS: tuple[Transition, ...] = (
    Transition(
        "protocol",
        "protocol",
        "protocol",
        p.Protocolled,
        OPEN,
        ("protocol_number",),
        CONTACT_CENTRE,
        backdated=False,
        summary="Register the application in the Comune's protocol: the number is drawn "
        "from the tenant's register (or given, `protocol_number`, when it is kept elsewhere)",
    ),
    Transition(
        "schedule_inspection",
        "schedule-inspection",
        "schedule the inspection of",
        p.InspectionScheduled,
        INSPECTING,
        ("scheduled_for", "inspector"),
        OFFICES,
        summary="Fix the site inspection (sopralluogo): when and by whom; the citizen is told. "
        "By the office that has the case (triage-first: forwarded to it)",
    ),
    Transition(
        "report_inspection",
        "report-inspection",
        "report the inspection of",
        p.InspectionReported,
        INSPECTING,
        ("report", "finding"),
        OFFICES,
        summary="The inspection's report (verbale): the SHA-256 of an attachment stored with "
        "`POST /attachments/cases/{id}`, and what it found",
    ),
    Transition(
        "issue_attestation",
        "issue-attestation",
        "issue the attestation of",
        p.AttestationIssued,
        IN_HANDS_OF_OFFICE,
        ("outcome", "attestation_number", "issued_on"),
        summary="The attestation is issued: the case is resolved with it as its outcome "
        "(its number and date, not before the application was received); this stops the legal "
        "30-day clock. Triage-first: by the front office, once the office has answered",
    ),
)
