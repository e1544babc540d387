"""notify-svc use cases: settle each message, resend on request, post letters.

The reactions to public events (which message each event asks for) are in `reactions.py`, the
survey's answers in `surveying.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from sportello_shared.entropy import token_urlsafe
from sportello_shared.prefetch import prefetched
from sportello_shared.public_site import DEFAULT_PUBLIC_SITE_URL
from sportello_shared.tenants import TenantCatalogue

from .domain import (
    Audience,
    CaseFile,
    Channel,
    LetterTray,
    Notification,
    NotificationError,
    NotifyPolicy,
    Status,
    Template,
    case_file_id,
    letter_tray_id,
    notification_id_for,
)
from .messages import rendering_context
from .reactions import Reactions
from .surveying import Surveying
from .wording import CHANNEL_NAMES, MESSAGE_NAMES, failure_cause

Clock = Callable[[], datetime]

# Events older than this tell nobody (first deploy, consumer reset): see the README.
DEFAULT_MAX_EVENT_AGE = timedelta(days=2)
# The survey opens the public site's rating page (<site>/<tenant>/valutazione/<token>) unless a
# base URL is configured (NOTIFY_SURVEY_BASE_URL, or the tenant's survey.base_url).
DEFAULT_SURVEY_BASE_URL = ""


class Accepted(NamedTuple):
    """A message its provider accepted, to be recorded sent."""

    notification_id: UUID
    reply: str
    at: datetime
    read: Notification | None = None  # as the dispatcher read it before sending


Outcomes = list[Notification | Exception]


class CaseNotFound(LookupError):
    pass


class NotificationNotFound(LookupError):
    pass


class NotALetter(ValueError):
    pass


class NotifyApplication(Reactions, Surveying):
    name = "notify"

    def __init__(
        self,
        tenants: TenantCatalogue,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
        *,
        policies: Mapping[str, NotifyPolicy] | None = None,
        max_event_age: timedelta = DEFAULT_MAX_EVENT_AGE,
        survey_base_url: str = DEFAULT_SURVEY_BASE_URL,
        public_site_url: str = DEFAULT_PUBLIC_SITE_URL,
        new_token: Callable[[], str] | None = None,
    ) -> None:
        super().__init__(env)
        self.tenants = tenants
        self.clock = clock or (lambda: datetime.now(UTC))
        self.policies = dict(policies or {})
        self.max_event_age = max_event_age
        self.survey_base_url = survey_base_url.rstrip("/")
        self.public_site_url = public_site_url.rstrip("/")
        self.new_token = new_token or (lambda: token_urlsafe(18))

    def tenant_policy(self, tenant: str) -> NotifyPolicy:
        return self.policies.get(tenant) or NotifyPolicy()

    # --- delivery, as the dispatcher reports it -------------------------------------------------

    def mark_sent(self, notification_id: UUID, reply: str, at: datetime) -> Notification:
        notification = self.get_notification(notification_id)
        notification.mark_sent(reply, at)
        self.save(notification)
        return notification

    def mark_all_sent(self, accepted: Sequence[Accepted | tuple[UUID, str, datetime]]) -> Outcomes:
        """Messages the providers accepted, recorded sent in one transaction (the dispatcher's
        group commit); one that cannot be marked gets its error, not the rest.

        Each is marked on the aggregate the dispatcher read before sending, while that still says
        `requested` (it read the batch's notifications in one query, `notifications`); if the
        store moved on meanwhile (a failed try recorded, another replica), the save conflicts and
        all of them are read again in one query and marked on what the store holds."""
        items = [Accepted(*item) for item in accepted]
        if all(item.read is not None and item.read.status is Status.REQUESTED for item in items):
            try:
                return self._mark_sent_on(items)
            except IntegrityError:
                pass  # the store holds a newer version of one of them: read them all again
        with prefetched(self.recorder, self.mapper, [item.notification_id for item in items]):
            return self._mark_sent_on([item._replace(read=None) for item in items])

    def _mark_sent_on(self, items: list[Accepted]) -> Outcomes:
        found: dict[UUID, Notification] = {}
        outcomes: Outcomes = []
        for notification_id, reply, at, read in items:
            try:
                notification = found.get(notification_id) or read
                notification = notification or self.get_notification(notification_id)
                notification.mark_sent(reply, at)  # twice in one call: AlreadySettled
            except (NotificationError, NotificationNotFound) as exc:
                outcomes.append(exc)
            else:
                outcomes.append(found.setdefault(notification_id, notification))
        if found:
            self.save(*found.values())
        return outcomes

    def mark_failed(self, notification_id: UUID, reason: str, at: datetime) -> Notification:
        """Failed for good: published as notification.failed, and the URP is told in the same
        transaction, so neither can happen without the other."""
        notification = self.get_notification(notification_id)
        notification.mark_failed(reason, at)
        self.save(notification, *self._alert_urp(notification))
        return notification

    def record_failed_attempt(
        self, notification_id: UUID, error: str, at: datetime
    ) -> Notification:
        notification = self.get_notification(notification_id)
        notification.record_failed_attempt(error, at)
        self.save(notification)
        return notification

    def postpone(self, notification_id: UUID, until: datetime) -> Notification:
        notification = self.get_notification(notification_id)
        notification.postpone(until)
        self.save(notification)
        return notification

    def hold_until(self, notification: Notification, at: datetime) -> datetime | None:
        """A reminder waits for its day; an SMS is also held until the tenant's morning, except
        the on-call rota's: waking them up is the point."""
        if notification.postponed_until is not None and notification.postponed_until > at:
            return notification.postponed_until
        if notification.channel is not Channel.SMS or notification.audience is Audience.ON_CALL:
            return None
        tenant = self.tenants.get(notification.tenant)
        timezone = tenant.timezone if tenant else "Europe/Rome"
        return self.tenant_policy(notification.tenant).sms.quiet_hours.hold_until(at, timezone)

    def withdrawal_reason(self, notification: Notification) -> str | None:
        """Why a message that waited (a reminder) no longer applies when due, if it does not."""
        if notification.template != Template.WAITING_REMINDER:
            return None
        case_file = self._find(CaseFile, case_file_id(notification.case_id))
        if case_file is not None and case_file.waiting_for == notification.trigger_event_id:
            return None
        return "the office no longer waits for the citizen"

    def withdraw(self, notification_id: UUID, reason: str, at: datetime) -> Notification:
        notification = self.get_notification(notification_id)
        notification.withdraw(reason, at)
        self.save(notification)
        return notification

    def message_context(self, notification: Notification) -> dict[str, str]:
        """What the templates are given: the stored values, today's way back, the kind's words."""
        return rendering_context(
            notification.context,
            notification.language,
            self.tenants.get(notification.tenant),
            self.tenant_policy(notification.tenant),
        )

    # --- operators ------------------------------------------------------------------------------

    def resend(self, notification_id: UUID, actor: str, reason: str) -> Notification:
        notification = self.get_notification(notification_id)
        notification.resend(actor, reason, self.clock())
        tray = self._tray_with(notification) if notification.channel is Channel.LETTER else None
        self.save(notification, *([tray] if tray else []))
        return notification

    def post_letter(
        self, notification_id: UUID, actor: str, note: str | None = None
    ) -> Notification:
        """The office printed and posted the letter: the notification is sent; `actor` is who
        acted (the token's subject), `note` what the office added (e.g. who took it to post)."""
        notification = self.get_notification(notification_id)
        if notification.channel is not Channel.LETTER:
            raise NotALetter(f"notification {notification_id} goes by {notification.channel}")
        detail = f"posted by {actor}" + (f" ({note})" if note and note != actor else "")
        notification.mark_sent(detail, self.clock())
        tray = self._find(LetterTray, letter_tray_id(notification.tenant))
        if tray is not None:
            tray.remove(notification.id)
        self.save(notification, *([tray] if tray else []))
        return notification

    def pending_letters(self, tenant: str) -> list[Notification]:
        tray = self._find(LetterTray, letter_tray_id(tenant))
        return [self.get_notification(n) for n in tray.pending] if tray else []

    def _tray_with(self, notification: Notification) -> LetterTray:
        tray = self._find(LetterTray, letter_tray_id(notification.tenant))
        tray = tray or LetterTray.for_tenant(notification.tenant)
        tray.add(notification.id)
        return tray

    # --- reads ----------------------------------------------------------------------------------

    def notifications(self, notification_ids: Sequence[UUID]) -> dict[UUID, Notification]:
        """The notifications of a dispatcher's batch, read in one query (those that exist)."""
        with prefetched(self.recorder, self.mapper, notification_ids):
            found = {i: self._find(Notification, i) for i in notification_ids}
        return {i: notification for i, notification in found.items() if notification is not None}

    def get_notification(self, notification_id: UUID) -> Notification:
        notification = self._find(Notification, notification_id)
        if notification is None:
            raise NotificationNotFound(f"no notification {notification_id}")
        return notification

    def get_case_file(self, case_id: str | UUID) -> CaseFile:
        case_file = self._find(CaseFile, case_file_id(str(case_id)))
        if case_file is None:
            raise CaseNotFound(f"no case {case_id}")
        return case_file

    def notifications_for(self, case_id: str | UUID) -> list[Notification]:
        case_file = self.get_case_file(case_id)
        return [self.get_notification(n) for n in case_file.notifications]

    # --- the URP is told of every message that could not be delivered ---------------------------

    def _alert_urp(self, failed: Notification) -> list[Aggregate]:
        tenant = self.tenants.get(failed.tenant)
        urp = tenant.organization(tenant.triage) if tenant else None
        if failed.template == Template.DELIVERY_FAILED or tenant is None or urp is None:
            return []  # an alert about an alert would loop; the log and metrics still show it
        trigger = f"{failed.id}:{failed.delivery}"
        alert_id = notification_id_for(
            failed.case_id, Template.DELIVERY_FAILED, trigger, Audience.URP
        )
        if self._find(Notification, alert_id) is not None:
            return []
        alert = Notification.request(
            case_id=failed.case_id,
            tenant=failed.tenant,
            template=Template.DELIVERY_FAILED,
            trigger_event_id=trigger,
            recipient=urp.email,
            language="it",
            context={
                "reference": failed.context.get("reference", failed.case_id),
                "tenant_name": tenant.name,
                "addressee": urp.name,
                "failed_message": MESSAGE_NAMES.get(failed.template, failed.template),
                "failed_channel": CHANNEL_NAMES.get(failed.channel.value, failed.channel.value),
                # the provider's own words stay in the logs and the ops API (`attempts`)
                "failure_cause": failure_cause(failed.failure_reason or ""),
            },
            requested_at=self.clock(),
            traceparent=failed.traceparent,
            audience=Audience.URP,
            organization=urp.id,
        )
        case_file = self._find(CaseFile, case_file_id(failed.case_id))
        if case_file is None:
            return [alert]
        case_file.record_notification(alert.id)
        return [alert, case_file]
