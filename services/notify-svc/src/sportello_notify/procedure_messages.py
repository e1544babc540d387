"""What the citizen is told of Casale's procedures (issue 18 point 6): the protocol number of
their application, the date of the site inspection, and that the attestation is ready. The
protocol number is kept on notify's case file: the later messages (the closing) print it."""

from __future__ import annotations

from sportello_contracts.case_procedures import (
    CaseAttestationIssued,
    CaseInspectionScheduled,
    CaseProtocolled,
)
from sportello_shared.application import Incoming

from .domain import Template
from .messages import local_time
from .paging import Paging
from .requesting import Processing

PROCEDURE_STEPS = CaseProtocolled | CaseInspectionScheduled | CaseAttestationIssued


class ProcedureMessages(Paging):
    def _procedure_step(
        self, payload: PROCEDURE_STEPS, incoming: Incoming, processing_event: Processing
    ) -> None:
        case_file = self._case_file(payload.case_id)
        tenant = self.tenants.get(case_file.tenant)
        match payload:
            case CaseProtocolled():
                case_file.record_protocol(payload.protocol_number)
                template, extra = Template.PROTOCOLLED, {}
            case CaseInspectionScheduled():
                template = Template.INSPECTION_SCHEDULED
                when = local_time(payload.scheduled_for, tenant)
                extra = {"scheduled_for": when, "inspector": payload.inspector}
            case CaseAttestationIssued():
                template = Template.ATTESTATION_ISSUED
                day = payload.issued_on.split("-")
                issued_on = "/".join(reversed(day))
                extra = {"attestation_number": payload.attestation_number, "issued_on": issued_on}
        self._tell_citizen(case_file, template, extra, incoming, processing_event)
