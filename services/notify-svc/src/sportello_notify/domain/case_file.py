"""notify's own projection of a case: only what it takes to write to the citizen and the office.

Pure: no I/O, and every time is passed in by the caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from sportello_shared.personal_data import ERASED_TEXT

from .contact import Contact, Skipped

CASE_FILE_NAMESPACE = UUID("73655316-0fa4-45cb-a7c2-754d97ef3ed9")

LANGUAGES = ("it", "en")
DEFAULT_KIND = "segnalazione"
DEFAULT_LANGUAGE = "it"
CONTACT_FIELDS = ("email", "phone", "address")


def case_file_id(case_id: str) -> UUID:
    return uuid5(CASE_FILE_NAMESPACE, case_id)


class CaseFile(Aggregate):
    protocol_number = ""  # Casale's procedures: the application's protocol (case.protocolled)

    class Opened(Aggregate.Created):
        """v2 added `follow_token`: the key to the citizen's status page (case.received's);
        v3 `in_reply_to`: the Message-ID of the citizen's e-mail/PEC that made the case;
        v4 `channel`: how the citizen wrote (a PEC is answered through the tenant's PEC)."""

        class_version = 4
        # sealed under the case's key: intake's erasure of the case erases notify's copy too
        personal_data: ClassVar[dict[str, Any]] = {
            "citizen_name": ERASED_TEXT,
            "email": None,
            "phone": None,
            "address": None,
            "description": ERASED_TEXT,
            "location": None,
            "in_reply_to": None,
        }
        personal_data_subject: ClassVar[str] = "case_id"

        case_id: str
        tenant: str
        reference: str
        citizen_name: str
        email: str | None
        phone: str | None
        address: str | None
        language: str
        category: str
        description: str
        follow_token: str
        kind: str
        location: str | None
        registered_at: datetime | None
        in_reply_to: str | None
        channel: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["follow_token"] = ""

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["in_reply_to"] = None  # not sealed before v3: nothing to put back

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            state["channel"] = ""

    @event(Opened)
    def __init__(
        self,
        case_id: str,
        tenant: str,
        reference: str,
        citizen_name: str,
        email: str | None,
        phone: str | None,
        address: str | None,
        language: str,
        category: str,
        description: str,
        follow_token: str = "",
        kind: str = DEFAULT_KIND,  # absent from case files opened before kinds were kept
        location: str | None = None,
        registered_at: datetime | None = None,
        in_reply_to: str | None = None,
        channel: str = "",
    ) -> None:
        self.case_id = case_id
        self.channel = channel
        self.follow_token = follow_token
        self.tenant = tenant
        self.reference = reference
        self.citizen_name = citizen_name
        self.contact = Contact(email, phone, address)
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.category = category
        self.description = description
        self.kind = kind
        self.location = location
        self.registered_at = registered_at  # a deadline before it is not the office's to answer
        self.in_reply_to = in_reply_to  # the citizen wrote by mail: the mails to them answer it
        self.waiting_for: str | None = None  # the event that paused the case for the citizen
        self.organization: str | None = None
        self.notifications: list[UUID] = []
        self.skipped: list[Skipped] = []
        self.personal_data_erased_at: datetime | None = None

    @classmethod
    def open(
        cls,
        *,
        case_id: str,
        tenant: str,
        reference: str,
        citizen_name: str,
        contact: Contact,
        language: str,
        category: str = "",
        description: str = "",
        follow_token: str = "",
        kind: str = "segnalazione",
        location: str | None = None,
        registered_at: datetime | None = None,
        in_reply_to: str | None = None,
        channel: str = "",
    ) -> CaseFile:
        return cls._create(
            cls.Opened,
            id=case_file_id(case_id),
            case_id=case_id,
            tenant=tenant,
            reference=reference,
            citizen_name=citizen_name,
            email=contact.email,
            phone=contact.phone,
            address=contact.address,
            language=language,
            category=category,
            description=description,
            follow_token=follow_token,
            kind=kind,
            location=location,
            registered_at=registered_at,
            in_reply_to=in_reply_to,
            channel=channel,
        )

    def record_waiting(self, trigger_event_id: str | None) -> None:
        """The office now waits for the citizen (an event id), or no longer does (None)."""
        if trigger_event_id != self.waiting_for:
            self._waiting_recorded(trigger_event_id=trigger_event_id)

    @event("WaitingRecorded")
    def _waiting_recorded(self, trigger_event_id: str | None) -> None:
        self.waiting_for = trigger_event_id

    def record_organization(self, organization: str) -> None:
        """Who handles the case now (routing's decision); nothing to record if unchanged."""
        if organization and organization != self.organization:
            self._organization_recorded(organization=organization)

    @event("OrganizationRecorded")
    def _organization_recorded(self, organization: str) -> None:
        self.organization = organization

    class Reclassified(Aggregate.Event):
        """case.classified: kind, category and, if the triage completed it, the citizen (sealed
        under the case's key, as the file's opening: intake's erasure reaches them)."""

        personal_data: ClassVar = {"citizen_name": ERASED_TEXT} | dict.fromkeys(CONTACT_FIELDS)
        personal_data_subject: ClassVar[str] = "case_id"

        case_id: str
        kind: str
        category: str
        citizen_name: str | None
        email: str | None
        phone: str | None
        address: str | None
        language: str | None

    def reclassify(self, kind: str, category: str, citizen: dict[str, Any] | None) -> None:
        """What the triage said; who the citizen is only if given (never after an erasure)."""
        given = citizen if citizen and self.personal_data_erased_at is None else {}
        reach = Contact(given.get("email"), given.get("phone"), given.get("address"))
        name = str(given.get("name") or self.citizen_name)
        changed = (reach, name) != (self.contact, self.citizen_name)
        new_citizen = reach.preferred() is not None and changed
        if new_citizen or (kind, category) != (self.kind, self.category):
            self._reclassified(
                case_id=self.case_id,
                kind=kind,
                category=category,
                citizen_name=name if new_citizen else None,
                email=reach.email if new_citizen else None,
                phone=reach.phone if new_citizen else None,
                address=reach.address if new_citizen else None,
                language=given.get("language") if new_citizen else None,
            )

    @event(Reclassified)
    def _reclassified(
        self,
        case_id: str,
        kind: str,
        category: str,
        citizen_name: str | None,
        email: str | None,
        phone: str | None,
        address: str | None,
        language: str | None,
    ) -> None:
        self.kind = kind
        self.category = category
        if email or phone or address:  # an identity was given (and is still readable)
            self.contact = Contact(email, phone, address)
            self.citizen_name = citizen_name or self.citizen_name
            self.language = language if language in LANGUAGES else self.language

    def record_notification(self, notification_id: UUID) -> None:
        """The case's index of its notifications (ids are not derivable without the event ids)."""
        if notification_id not in self.notifications:
            self._notification_recorded(notification_id=notification_id)

    @event("NotificationRecorded")
    def _notification_recorded(self, notification_id: UUID) -> None:
        self.notifications.append(notification_id)

    def record_skipped(
        self, template: str, trigger_event_id: str, reason: str, at: datetime
    ) -> None:
        """Ignored but kept: ops can see which message was not sent and why."""
        known = {(s.template, s.trigger_event_id) for s in self.skipped}
        if (template, trigger_event_id) not in known:
            self._skipped(
                template=template, trigger_event_id=trigger_event_id, reason=reason, at=at
            )

    class MessageSkipped(Aggregate.Event):
        template: str
        trigger_event_id: str
        reason: str
        at: datetime

    @event(MessageSkipped)
    def _skipped(self, template: str, trigger_event_id: str, reason: str, at: datetime) -> None:
        self.skipped.append(Skipped(template, trigger_event_id, reason, at))

    # --- the right to be forgotten ---------------------------------------------------------------

    class PersonalDataErased(Aggregate.Event):
        actor: str
        at: datetime

    def erase_personal_data(self, actor: str, at: datetime) -> None:
        """intake erased the citizen's data: notify forgets its copy (its key is deleted too)."""
        if self.personal_data_erased_at is None:
            self._personal_data_erased(actor=actor, at=at)

    @event(PersonalDataErased)
    def _personal_data_erased(self, actor: str, at: datetime) -> None:
        self.citizen_name = ERASED_TEXT
        self.contact = Contact()
        self.description = ERASED_TEXT
        self.location = None
        self.in_reply_to = None
        self.personal_data_erased_at = at

    # --- Casale's procedures (issue 18 point 6) ---

    def record_protocol(self, number: str) -> None:
        if number != self.protocol_number:
            self._protocol_recorded(number)

    @event("ProtocolRecorded")
    def _protocol_recorded(self, number: str) -> None:
        self.protocol_number = number
