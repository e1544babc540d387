"""Who may read which personal fields of a case: the query behind `personal.<tenant>.<requester>`
and `GET /cases/{id}/dossier` (docs/security.md, "Personal data on the streams").

The events intake publishes carry no personal data; the services and partners that need some ask
here, and get only what their work needs:
- `routing` the description and the location (its keyword and area rules);
- `notify` the citizen (to write to them), the description and the address (the messages quote
  them), the follow token (the status page's link), the office's text of one event (the
  request to the citizen, the outcome) and, for a case that came by e-mail or PEC, the Message-ID
  of the citizen's message (the answers are mailed as replies to it);
- an organization the dossier of a case it handles now, and nothing of any other case.
After an erasure the fields read as the store reads them (`[dati personali cancellati]`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sportello_contracts.personal import (
    PersonalAnswer,
    PersonalRefusal,
    PersonalRequest,
)
from sportello_shared.logging import get_logger
from sportello_shared.personal_data.vault.interface import Erased
from sportello_shared.prefetch import prefetched, prefetched_event

from .domain import Case
from .domain.corrections import Noted
from .fresh_cases import FreshCase

log = get_logger(__name__)
TEXT_FIELDS = ("note", "request", "outcome", "reason", "message")
WRITTEN_CHANNELS = frozenset({"email", "pec"})


class PersonalDataReader:
    """The query; `find_case` and `event_text` read intake's store (the writer thread's)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def answer(
        self, tenant: str, requester: str, request: PersonalRequest
    ) -> PersonalAnswer | PersonalRefusal:
        fresh = self._fresh(request)
        case, held = (fresh.case, fresh.events) if fresh else (self._case(request.case_id), {})
        if case is None or case.tenant != tenant:
            return PersonalRefusal(error="not_found", detail=f"no case {request.case_id}")
        if requester == "routing":
            return _answer(case, description=case.description, location=case.location)
        if requester == "notify":
            return _answer(
                case,
                citizen=case.citizen,
                description=case.description,
                location=case.location,
                follow_token=case.follow_token or None,
                text=self.event_text(case, request.event_id, held),
                in_reply_to=replied_message(case),
            )
        if case.organization != requester:
            return PersonalRefusal(error="not_yours", detail=f"{requester} does not handle it")
        return dossier(case)

    def answer_all(
        self, requests: Sequence[tuple[str, str, PersonalRequest]]
    ) -> list[PersonalAnswer | PersonalRefusal]:
        """Many (tenant, requester, request) at once, as `answer` gives each: the cases that are
        not fresh are read in one query (a consumer behind by more than the fresh cases' time
        asks about fifty cases at once, each a read of the store)."""
        stale = [
            case_id
            for _, _, request in requests
            if (case_id := _uuid(request.case_id)) and self._fresh(request) is None
        ]
        with prefetched(self.app.recorder, self.app.mapper, stale):
            return [self._answer_alone(*asked) for asked in requests]

    def _answer_alone(
        self, tenant: str, requester: str, request: PersonalRequest
    ) -> PersonalAnswer | PersonalRefusal:
        """One request's answer; a failure of its own (a case that cannot be read) refuses it
        alone, so the requests asked with it are not held up by it."""
        try:
            return self.answer(tenant, requester, request)
        except Exception as exc:  # the requester asks again later; the others are answered
            log.warning("personal.unreadable", case_id=request.case_id, error=repr(exc))
            return PersonalRefusal(error="unavailable", detail=type(exc).__name__)

    def _fresh(self, request: PersonalRequest) -> FreshCase | None:
        """The case as registered, if it is still fresh (fresh_cases.py), its citizen's key not
        erased, and it holds the event asked about; None: read the store."""
        try:
            fresh: FreshCase | None = self.app.fresh_cases.get(UUID(request.case_id))
        except ValueError:
            return None
        if fresh is None:
            return None
        if isinstance(self.app.vault.key(fresh.case.data_subject, create=False), Erased):
            return None
        position = _version(fresh.case, request.event_id)
        if position is not None and position not in fresh.events:
            return None  # an event newer than what is held: the case changed elsewhere
        return fresh

    def _case(self, case_id: str) -> Case | None:
        uuid = _uuid(case_id)
        if uuid is None:
            return None
        found: Case | None = self.app.find_case(uuid)
        return found

    def event_text(
        self, case: Case, event_id: str | None, held: Mapping[int, Any] | None = None
    ) -> str | None:
        """The office's text (note, request, outcome, reason) of the case's event `event_id`
        (`held`: the fresh case's events, else the store is read)."""
        position = _version(case, event_id)
        if position is None:
            return None
        event = (held or {}).get(position) or prefetched_event(case.id, position)
        events = [event] if event else self.app.events.get(case.id, gt=position - 1, lte=position)
        for event in events:
            if isinstance(event, Noted):
                return None  # the staff's own: never answered, whoever asks
            for name in TEXT_FIELDS:
                value = vars(event).get(name)
                if isinstance(value, str):
                    return value
        return None


def _uuid(case_id: str) -> UUID | None:
    try:
        return UUID(case_id)
    except ValueError:
        return None


def _version(case: Case, event_id: str | None) -> int | None:
    """The version of the case's event `event_id` ("<case id>:<version>"), if it names one."""
    if not event_id:
        return None
    case_id, _, version = event_id.rpartition(":")
    if case_id != str(case.id) or not version.isdigit():
        return None
    return int(version)


def replied_message(case: Case) -> str | None:
    """The citizen's own message that made the case, if they wrote one (e-mail, PEC)."""
    if case.channel not in WRITTEN_CHANNELS or not case.message_id:
        return None
    return case.message_id


def dossier(case: Case) -> PersonalAnswer:
    """What the organization handling the case needs to act on it, contact included."""
    return _answer(
        case,
        citizen=case.citizen,
        description=case.description,
        location=case.location,
        attachments=case.attachments,
    )


def _answer(case: Case, **fields: Any) -> PersonalAnswer:
    location = fields.pop("location", None)
    return PersonalAnswer(
        case_id=str(case.id),
        reference=case.reference,
        tenant=case.tenant,
        organization=case.organization,
        erased=case.personal_data_erased_at is not None,
        location=location or None,
        **fields,
    )
