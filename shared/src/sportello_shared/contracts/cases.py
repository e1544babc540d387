"""Public payloads of the case lifecycle (DESIGN.md §1). Field names are part of the contract."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

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


class CaseReceived(_CaseEvent):
    event: ClassVar[str] = "received"

    kind: Kind
    channel: Channel
    category: str
    description: str
    citizen: Citizen
    location: Location | None = None
    handling_mode: HandlingMode | None = None
    received_at: AwareDatetime
    registered_at: AwareDatetime


class CaseRejected(_CaseEvent):
    event: ClassVar[str] = "rejected"

    reason: str


class CaseAssigned(_CaseEvent):
    event: ClassVar[str] = "assigned"

    organization: str = Field(pattern=SLUG)
    organization_name: str
    rule_id: str
    rule_version: int
    reasons: list[str]


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

    means: str
    note: str = ""


class CaseWaitingForCitizen(_CaseEvent):
    event: ClassVar[str] = "waiting_for_citizen"

    request: str


class CaseResumed(_CaseEvent):
    event: ClassVar[str] = "resumed"


class CaseResolved(_CaseEvent):
    event: ClassVar[str] = "resolved"

    outcome: str


class CaseClosed(_CaseEvent):
    event: ClassVar[str] = "closed"

    outcome: str


class CaseReopened(_CaseEvent):
    event: ClassVar[str] = "reopened"

    reason: str


class CaseReassignmentRequested(_CaseEvent):
    event: ClassVar[str] = "reassignment_requested"

    organization: str = Field(pattern=SLUG)
    reason: str


class CaseHandedOver(_CaseEvent):
    """The case file for the organization that now handles it, published on its subject only.

    It is the one event with the citizen's contact that a partner company receives, and only for
    the cases assigned to it (`cases.<tenant>.<its organization>.handed_over`).
    """

    event: ClassVar[str] = "handed_over"

    organization: str = Field(pattern=SLUG)
    kind: Kind
    channel: Channel
    category: str
    description: str
    citizen: Citizen
    location: Location | None = None
    handling_mode: HandlingMode | None = None
    received_at: AwareDatetime


class CasePersonalDataErased(_CaseEvent):
    """The citizen's personal data on this case was erased (right to be forgotten).

    Every service and partner that keeps a copy of the citizen's contact or of what they wrote
    about this case erases it; the case's facts (dates, category, office, outcome) stay.
    """

    event: ClassVar[str] = "personal_data_erased"
