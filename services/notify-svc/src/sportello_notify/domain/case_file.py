"""notify's own projection of a case: only what it takes to write to the citizen and the office.

Pure: no I/O, and every time is passed in by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from sportello_shared.personal_data import ERASED_TEXT

from .notification import Channel

CASE_FILE_NAMESPACE = UUID("73655316-0fa4-45cb-a7c2-754d97ef3ed9")

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"


def case_file_id(case_id: str) -> UUID:
    return uuid5(CASE_FILE_NAMESPACE, case_id)


@dataclass(frozen=True)
class Contact:
    """How the citizen can be reached; personal data, never published."""

    email: str | None = None
    phone: str | None = None
    address: str | None = None

    def preferred(self) -> tuple[Channel, str] | None:
        """E-mail first (free, carries the whole text), then SMS, then a letter by post."""
        if self.email:
            return Channel.EMAIL, self.email
        if self.phone:
            return Channel.SMS, self.phone
        if self.address:
            return Channel.LETTER, self.address
        return None


@dataclass(frozen=True)
class Skipped:
    """A message deliberately not sent, and why (e.g. the event was too old)."""

    template: str
    trigger_event_id: str
    reason: str
    at: datetime


class CaseFile(Aggregate):
    class Opened(Aggregate.Created):
        # sealed under the case's key: intake's erasure of the case erases notify's copy too
        personal_data: ClassVar[dict[str, Any]] = {
            "citizen_name": ERASED_TEXT,
            "email": None,
            "phone": None,
            "address": None,
            "description": ERASED_TEXT,
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
    ) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.reference = reference
        self.citizen_name = citizen_name
        self.contact = Contact(email, phone, address)
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.category = category
        self.description = description
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
        )

    def record_organization(self, organization: str) -> None:
        """Who handles the case now (routing's decision); nothing to record if unchanged."""
        if organization and organization != self.organization:
            self._organization_recorded(organization=organization)

    @event("OrganizationRecorded")
    def _organization_recorded(self, organization: str) -> None:
        self.organization = organization

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
        self.personal_data_erased_at = at
