"""Asking intake for a case's personal data: NATS request/reply on `personal.<tenant>.<requester>`.

The events carry no personal data (`contracts.cases`); whoever needs some asks intake, the one
holder. The subject names who asks, and NATS permissions let each account publish only on its
own (`routing`, `notify`, a partner's organization id), so the subject is the identity, as for
`ingest.<tenant>.<source>`; the body only says which case (and, for a text, which event).

What each requester is answered (intake decides, `sportello_intake.personal`):
- `routing`: the description and the location (keyword and area rules);
- `notify`: the citizen (name, contact, language), the description, the location's address, the
  follow token of the citizen's status page, for `event_id` the office's text of that event
  (the request to the citizen, the outcome) and, for a case the citizen wrote by e-mail or PEC,
  `in_reply_to`: their message's Message-ID, which notify's mails to them answer;
- an organization: the dossier (citizen, description, location, attachments) of a case it
  handles now, nothing otherwise.
After an erasure the fields read `[dati personali cancellati]` (or are empty) and `erased` is true.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .cases import Location
from .envelope import SLUG
from .subjects import personal_subject

SERVICE_REQUESTERS = ("routing", "notify")

__all__ = [
    "SERVICE_REQUESTERS",
    "PersonalAnswer",
    "PersonalRefusal",
    "PersonalRequest",
    "personal_subject",
]


class PersonalRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str = Field(min_length=1, max_length=100)
    event_id: str | None = Field(
        default=None,
        max_length=200,
        description="`<case id>:<version>` of an event whose office text is wanted (notify)",
    )


class PersonalAnswer(BaseModel):
    """What intake answers; a field the requester may not see is absent (None)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    reference: str
    tenant: str = Field(pattern=SLUG)
    organization: str | None = None
    erased: bool = False
    citizen: dict[str, Any] | None = Field(
        default=None, description="name, email, phone, address, language (notify, organization)"
    )
    description: str | None = None
    location: Location | None = None
    attachments: list[dict[str, Any]] | None = None
    follow_token: str | None = None
    text: str | None = Field(default=None, description="the office's text of `event_id`")
    in_reply_to: str | None = Field(
        default=None,
        max_length=998,
        description="the Message-ID of the citizen's e-mail/PEC that made the case (notify)",
    )


class PersonalRefusal(BaseModel):
    """No answer for this requester: the case does not exist for it, or is not its (any more)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    error: Literal["not_found", "not_yours", "bad_request", "unavailable"]
    detail: str = ""
