"""Public payloads of the case lifecycle (DESIGN.md §1). Field names are part of the contract.

No event carries personal data (docs/security.md, "Personal data on the streams"): not the
citizen's contact, not what they wrote, not where, not the office's free text. `case.received` and
`case.handed_over` (v2) keep the facts and a `has_location` flag; an office's note, request,
outcome or reason travels as `has_<field>` and `<field>_length`. Who needs the text asks intake
(`personal.<tenant>.<requester>`, `contracts.personal`). `Citizen` and `Location` stay: they are
the shapes of what intake answers and of what platforms submit on `ingest.>`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, model_validator

from .envelope import SLUG, EventPayload


class Kind(StrEnum):
    SEGNALAZIONE = "segnalazione"
    RECLAMO = "reclamo"
    SUGGERIMENTO = "suggerimento"
    RICHIESTA_INFORMAZIONI = "richiesta_informazioni"
    RICHIESTA_INTERVENTO = "richiesta_intervento"


class Channel(StrEnum):
    PHONE = "phone"
    VOICEMAIL = "voicemail"
    IVR = "ivr"
    EMAIL = "email"
    PEC = "pec"
    FAX = "fax"
    POST = "post"
    WEB = "web"
    APP = "app"
    COUNTER = "counter"
    OPEN311 = "open311"
    PLATFORM = "platform"


class HandlingMode(StrEnum):
    ANSWERED = "answered"
    DIRECT_TRANSFER = "direct_transfer"
    CONSULTATION = "consultation"
    TRANSFER_AFTER_CONSULTATION = "transfer_after_consultation"
    CALLBACK = "callback"


class Citizen(BaseModel):
    """Who asked: a name and at least one way to reach them (no anonymous cases)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()./-]{5,30}$")
    address: str | None = Field(default=None, min_length=3, max_length=300)
    language: str = Field(default="it", pattern=r"^(it|en)$")

    @model_validator(mode="after")
    def _has_a_contact(self) -> Citizen:
        if not (self.email or self.phone or self.address):
            raise ValueError("a citizen needs at least one contact: email, phone or address")
        return self


class Location(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _lat_lon_together(self) -> Location:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        return self


class _CaseEvent(EventPayload):
    aggregate: ClassVar[str] = "case"

    case_id: str
    reference: str
    occurred_at: AwareDatetime
    actor: str | None = Field(default=None, description="who did it: the token's subject")


def text_facts(name: str, text: str | None) -> dict[str, Any]:
    """What an event says of a free text: that it exists and how long it is, never the text."""
    return {f"has_{name}": bool(text), f"{name}_length": len(text or "")}


class CaseReceived(_CaseEvent):
    """A case was registered. The facts only: the citizen, the description, the location and
    the attachments are intake's, asked for on `personal.<tenant>.<requester>`."""

    event: ClassVar[str] = "received"
    version: ClassVar[int] = 2

    kind: Kind
    channel: Channel
    category: str
    has_location: bool = Field(
        default=False, description="the citizen said where (ask intake for it)"
    )
    handling_mode: HandlingMode | None = None
    received_at: AwareDatetime
    registered_at: AwareDatetime
    answered_on_the_spot: bool = Field(
        default=False,
        description="an information call answered while the citizen was on the line: closed at "
        "registration (its `case.closed` follows), nothing to route (issue 18)",
    )


class CaseRejected(_CaseEvent):
    """Refused at the door, or set aside after registration (out of scope, a duplicate)."""

    event: ClassVar[str] = "rejected"
    version: ClassVar[int] = 2

    has_reason: bool = False
    reason_length: int = Field(default=0, ge=0)
    duplicate_of: str | None = Field(
        default=None, description="a duplicate: the original's reference (issue 18)"
    )
    merged: bool = Field(
        default=False,
        description="merged into the original (`case.duplicate_merged` on the original): its "
        "citizen is told where to follow it",
    )


class CaseAssigned(_CaseEvent):
    event: ClassVar[str] = "assigned"

    organization: str = Field(pattern=SLUG)
    organization_name: str
    rule_id: str
    rule_version: int
    reasons: list[str] = Field(description="why, in the rules' words (never an operator's text)")
    has_reason: bool = Field(default=False, description="a manual reassignment gave a reason")
    reason_length: int = Field(default=0, ge=0)


class CaseRoutingFailed(_CaseEvent):
    event: ClassVar[str] = "routing_failed"

    reason: str
    triage_organization: str = Field(pattern=SLUG)


class CaseTakenInCharge(_CaseEvent):
    event: ClassVar[str] = "taken_in_charge"

    organization: str = Field(pattern=SLUG)
    operator: str


class CaseCitizenContacted(_CaseEvent):
    event: ClassVar[str] = "citizen_contacted"

    version: ClassVar[int] = 2

    means: str
    has_note: bool = False
    note_length: int = Field(default=0, ge=0)


class CaseWaitingForCitizen(_CaseEvent):
    event: ClassVar[str] = "waiting_for_citizen"
    version: ClassVar[int] = 2

    has_request: bool = False
    request_length: int = Field(default=0, ge=0)


class CaseResumed(_CaseEvent):
    event: ClassVar[str] = "resumed"


class CaseResolved(_CaseEvent):
    event: ClassVar[str] = "resolved"
    version: ClassVar[int] = 2

    has_outcome: bool = False
    outcome_length: int = Field(default=0, ge=0)


class CaseClosed(_CaseEvent):
    event: ClassVar[str] = "closed"
    version: ClassVar[int] = 2

    has_outcome: bool = False
    outcome_length: int = Field(default=0, ge=0)


class CaseReopened(_CaseEvent):
    event: ClassVar[str] = "reopened"
    version: ClassVar[int] = 2

    has_reason: bool = False
    reason_length: int = Field(default=0, ge=0)


class CaseReopenRequested(_CaseEvent):
    """The citizen says a closed case is not solved, within the tenant's reopen window.

    The case stays closed: the URP decides, and reopens it (case.reopened) if it agrees.
    """

    event: ClassVar[str] = "reopen_requested"
    version: ClassVar[int] = 2

    has_reason: bool = False
    reason_length: int = Field(default=0, ge=0)


class CaseReopenDeclined(_CaseEvent):
    """The URP keeps a closed case closed after the citizen asked to reopen it.

    The reason is for the citizen, who reads it on their status page: it is not on the stream.
    """

    event: ClassVar[str] = "reopen_declined"


class CaseReassignmentRequested(_CaseEvent):
    event: ClassVar[str] = "reassignment_requested"
    version: ClassVar[int] = 2

    organization: str = Field(pattern=SLUG)
    has_reason: bool = False
    reason_length: int = Field(default=0, ge=0)


class CaseClassified(_CaseEvent):
    """The triage (contact centre, URP) said what a case that came by itself is about.

    A case taken in from a mailbox is registered as `da_classificare` and lands with the
    tenant's triage; a call-taker completes the citizen's identity and sets kind and category.
    Routing routes the case again on them; the SLA clocks of the standards that now apply start
    from the case's own `received_at`. Who the citizen is stays with intake: `identity_completed`
    only says that it was completed.
    """

    event: ClassVar[str] = "classified"

    kind: Kind
    category: str
    previous_category: str
    identity_completed: bool = False


class CaseHandedOver(_CaseEvent):
    """The case is now the organization's, published on its subject only.

    The facts of the case; the dossier (the citizen's contact, the description, the location)
    the organization asks intake for, while it handles the case: NATS request/reply on
    `personal.<tenant>.<its organization>` or `GET /cases/{id}/dossier` (docs/partners.md).
    """

    event: ClassVar[str] = "handed_over"
    version: ClassVar[int] = 2

    organization: str = Field(pattern=SLUG)
    kind: Kind
    channel: Channel
    category: str
    has_location: bool = False
    handling_mode: HandlingMode | None = None
    received_at: AwareDatetime


class CasePersonalDataErased(_CaseEvent):
    """The citizen's personal data on this case was erased (right to be forgotten).

    Every service and partner that keeps a copy of the citizen's contact or of what they wrote
    about this case erases it; the case's facts (dates, category, office, outcome) stay.
    """

    event: ClassVar[str] = "personal_data_erased"
