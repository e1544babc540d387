"""What intake's staff API accepts: request bodies, checked at the door (422 otherwise)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sportello_contracts.cases import Channel, Citizen, HandlingMode, Kind, Location
from sportello_shared.auth import ACTOR_NOTE


def _not_in_future(value: datetime | None) -> datetime | None:
    if value is not None:
        if value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2025-12-05T10:00:00+01:00")
        if value > datetime.now(UTC):
            raise ValueError("must not be in the future")
    return value


When = Annotated[datetime | None, AfterValidator(_not_in_future)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ExternalRef(_Body):
    source: str = Field(min_length=1, max_length=100)
    id: str = Field(min_length=1, max_length=200)


class Attachment(_Body):
    """A reference to a document kept elsewhere (protocol system, object store)."""

    uri: str = Field(min_length=1, max_length=1000)
    name: str = Field(default="", max_length=200)
    media_type: str = Field(default="application/octet-stream", max_length=100)


class RegisterCaseRequest(_Body):
    tenant: str = Field(min_length=1, max_length=63)
    kind: Kind
    channel: Channel
    category: str = Field(min_length=1, max_length=63)
    description: str = Field(min_length=1, max_length=4000)
    citizen: Citizen
    location: Location | None = None
    handling_mode: HandlingMode | None = None
    external_ref: ExternalRef | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    received_at: When = None
    late_entry_reason: str | None = Field(
        default=None,
        min_length=3,
        max_length=500,
        description="needed when received_at is older than the tenant's late_entry_days",
    )
    answer: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="answered on the spot (an information call): the answer given; the case is "
        "registered and closed in one step, handling mode `answered`, and never routed",
    )
    out_of_scope: str | None = Field(
        default=None,
        max_length=500,
        description="why the case is refused at the door, e.g. 'emergenza: chiamare il 112'",
    )


# --- the office's commands: one body per shape, named by the transition table ------------------


class OfficeCommand(_Body):
    actor: str = Field(default="office", min_length=1, max_length=200, description=ACTOR_NOTE)
    occurred_at: When = None


class TakeInChargeRequest(OfficeCommand):
    operator: str = Field(min_length=1, max_length=200, description=ACTOR_NOTE)


class ContactRequest(OfficeCommand):
    means: Literal["phone", "email", "letter", "pec", "in_person", "sms"]
    note: str = Field(default="", max_length=4000)


class WaitForCitizenRequest(OfficeCommand):
    request: str = Field(min_length=1, max_length=4000, description="what the citizen was asked")


class ResumeRequest(OfficeCommand):
    pass


class OutcomeRequest(OfficeCommand):
    outcome: str = Field(min_length=1, max_length=4000, description="what the citizen will read")


class ReasonRequest(OfficeCommand):
    reason: str = Field(min_length=1, max_length=4000)


REFERENCE = r"^[A-Z]{2,4}-[0-9]{4}-[0-9]{6}$"


class DismissRequest(OfficeCommand):
    reason: str = Field(min_length=1, max_length=4000, description="what the citizen will read")
    duplicate_of: str | None = Field(
        default=None, pattern=REFERENCE, description="the original's reference, if a duplicate"
    )


class MergeRequest(OfficeCommand):
    duplicate_of: str = Field(pattern=REFERENCE, description="the original's reference")
    reason: str = Field(
        default="La stessa segnalazione è già in carico: la seguiamo sulla pratica originale",
        min_length=1,
        max_length=4000,
        description="what this case's citizen will read",
    )


class NoteRequest(OfficeCommand):
    note: str = Field(min_length=1, max_length=4000, description="for the staff only")


class UpdateRequest(OfficeCommand):
    message: str = Field(min_length=1, max_length=4000, description="what the citizen will read")


class TransferRequest(OfficeCommand):
    to: str = Field(min_length=1, max_length=300, description="the office or person")


class ConsultRequest(OfficeCommand):
    question: str = Field(min_length=1, max_length=4000, description="what the office was asked")
    answer: str = Field(min_length=1, max_length=4000, description="what it answered")


class CallbackRequest(OfficeCommand):
    note: str = Field(min_length=1, max_length=4000, description="what the citizen asked")


class CallbackDoneRequest(OfficeCommand):
    means: Literal["phone", "email", "sms", "letter", "pec"] = "phone"
    note: str = Field(default="", max_length=4000, description="what they were told")


# --- Casale's procedures (issue 18 point 6) ----------------------------------------------------

SHA256 = r"^[0-9a-f]{64}$"


class ProtocolRequest(OfficeCommand):
    protocol_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="the number the Comune's protocol gave, when kept outside Sportello; "
        "none: drawn from the tenant's protocol register (procedures.yaml)",
    )


class InspectionScheduleRequest(OfficeCommand):
    scheduled_for: AwareDatetime = Field(description="when the inspection takes place")
    inspector: str = Field(min_length=1, max_length=200, description="who inspects")


class InspectionReportRequest(OfficeCommand):
    report: str = Field(
        pattern=SHA256,
        description="the SHA-256 of the report, stored with POST /attachments/cases/{id}",
    )
    finding: Literal["idoneo", "non_idoneo"]


class AttestationRequest(OfficeCommand):
    attestation_number: str = Field(min_length=1, max_length=50)
    issued_on: date
    outcome: str = Field(
        default="L'attestazione è stata rilasciata: può ritirarla presso l'ufficio indicato.",
        min_length=1,
        max_length=4000,
        description="what the citizen will read",
    )


# --- end of Casale's procedures -----------------------------------------------------------------

# --- the triage-first workflow (issue 18, point 2) -------------------------------------------


class ForwardRequest(OfficeCommand):
    to: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="the competent office's id; none: the one routing's rules choose",
    )


class OfficeAnswerRequest(OfficeCommand):
    answer: str = Field(
        min_length=1, max_length=4000, description="for the front office (staff only)"
    )


# the body each command of the transition table takes (its fields are the command's)
BODIES: dict[str, type[OfficeCommand]] = {
    "reject": ReasonRequest,
    "take_in_charge": TakeInChargeRequest,
    "contact_citizen": ContactRequest,
    "wait_for_citizen": WaitForCitizenRequest,
    "resume": ResumeRequest,
    "resolve": OutcomeRequest,
    "close": OutcomeRequest,
    "reopen": ReasonRequest,
    "request_reassignment": ReasonRequest,
    "dismiss": DismissRequest,
    "merge": MergeRequest,
    "note": NoteRequest,
    "update_citizen": UpdateRequest,
    "transfer": TransferRequest,
    "consult": ConsultRequest,
    "schedule_callback": CallbackRequest,
    "callback_done": CallbackDoneRequest,
    "answer_on_the_spot": OutcomeRequest,  # no route: `answer` at registration
    # Casale's procedures (issue 18 point 6)
    "protocol": ProtocolRequest,
    "schedule_inspection": InspectionScheduleRequest,
    "report_inspection": InspectionReportRequest,
    "issue_attestation": AttestationRequest,
    # the triage-first workflow
    "forward": ForwardRequest,
    "record_office_answer": OfficeAnswerRequest,
}
