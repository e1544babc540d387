"""How a message is requested: is it wanted, to whom, in which language, over which channel.

The base of notify's reactions (`reactions.py`): each request is saved with the upstream event's
tracking record, in one transaction; the dispatcher delivers it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import Aggregate
from sportello_shared.application import Incoming, RetryLater, ServiceApplication
from sportello_shared.personal_data.store import PersonalDataStore
from sportello_shared.public_site import follow_url, rating_url
from sportello_shared.tenants import TenantCatalogue
from sportello_shared.tracing import child_traceparent

from .domain import (
    Audience,
    CaseFile,
    Channel,
    LetterTray,
    Notification,
    NotifyPolicy,
    Survey,
    Template,
    case_file_id,
    letter_tray_id,
    notification_id_for,
)
from .messages import IN_REPLY_TO, REPLY_VIA, Context, citizen_context, local_time, office_context

AggregateT = TypeVar("AggregateT", bound=Aggregate)
Processing = ProcessingEvent[UUID]


class Requesting(PersonalDataStore, ServiceApplication):
    tenants: TenantCatalogue
    clock: Callable[[], datetime]
    max_event_age: timedelta
    survey_base_url: str
    public_site_url: str
    new_token: Callable[[], str]

    def tenant_policy(self, tenant: str) -> NotifyPolicy:
        raise NotImplementedError

    # --- requesting messages --------------------------------------------------------------------

    def _case_file(self, case_id: str) -> CaseFile:
        case_file = self._find(CaseFile, case_file_id(case_id))
        if case_file is None:
            # This event overtook the case's `received` (a redelivery reorders them): later.
            raise RetryLater(f"case {case_id} not received yet")
        return case_file

    def _wanted(self, case_file: CaseFile, template: Template, incoming: Incoming) -> bool:
        """Is this message wanted at all: the tenant's triggers, and the event's age."""
        if not self.tenant_policy(case_file.tenant).triggers.enabled(template):
            return False
        now = self.clock()
        age = now - incoming.envelope.time
        if age > self.max_event_age:
            # First deploy or a consumer reset replays old events: nobody is told of them again.
            reason = f"event {age} old, over NOTIFY_MAX_EVENT_AGE ({self.max_event_age})"
            case_file.record_skipped(template.value, incoming.envelope.id, reason, now)
            return False
        return True

    def _tell_citizen(
        self,
        case_file: CaseFile,
        template: Template,
        extra: Context,
        incoming: Incoming,
        processing_event: Processing,
        not_before: datetime | None = None,
    ) -> None:
        new = self._citizen_message(case_file, template, extra, incoming, not_before)
        processing_event.collect_events(case_file, *new)

    def _citizen_message(
        self,
        case_file: CaseFile,
        template: Template,
        extra: Context,
        incoming: Incoming,
        not_before: datetime | None = None,
    ) -> list[Aggregate]:
        """`not_before`: a message that waits (a reminder), sent then if it still applies."""
        reach = case_file.contact.preferred()
        if reach is None or not self._wanted(case_file, template, incoming):
            return []
        notification_id = notification_id_for(case_file.case_id, template, incoming.envelope.id)
        if notification_id in case_file.notifications:
            return []  # requested already: the same event came again under another tracking id
        policy = self.tenant_policy(case_file.tenant)
        context = citizen_context(case_file, self.tenants.get(case_file.tenant), policy) | extra
        if case_file.follow_token and not policy.follow_url:  # the public site's status page
            site, tenant = self.public_site_url, case_file.tenant
            context["follow_url"] = follow_url(site, tenant, case_file.follow_token)
        if reach[0] is Channel.EMAIL and case_file.in_reply_to:
            context[IN_REPLY_TO] = case_file.in_reply_to  # answered by the channel they wrote on
        if reach[0] is Channel.EMAIL and case_file.channel == "pec":
            context[REPLY_VIA] = "pec"  # a PEC is answered from the tenant's PEC box
        new: list[Aggregate] = []
        if template is Template.CLOSED and policy.survey.enabled:
            survey, survey_context = self._offer_survey(case_file, notification_id, policy)
            context |= survey_context
            new.append(survey)
        notification = self._request(case_file, template, incoming, reach, context)
        if not_before is not None:
            notification.postpone(not_before)
        new.append(notification)
        if notification.channel is Channel.LETTER:
            new.append(self._letter_tray(case_file.tenant, notification.id))
        return new

    def _tell_offices(
        self,
        case_file: CaseFile,
        template: Template,
        offices: list[tuple[Audience, str]],
        extra: Context,
        incoming: Incoming,
        processing_event: Processing,
    ) -> None:
        new: list[Aggregate] = []
        if self._wanted(case_file, template, incoming):
            tenant = self.tenants.get(case_file.tenant)
            handling = case_file.organization or (offices[0][1] if offices else "")
            context = office_context(case_file, tenant, handling) | extra
            for audience, organization in offices:
                org = tenant.organization(organization) if tenant else None
                if org is None:
                    continue  # not in tenant.yaml: nobody to write to (routing validates this)
                channels = self._office_channels(case_file.tenant, org.id, org.email)
                for channel, recipient in channels:
                    key = (case_file.case_id, template, incoming.envelope.id, audience, channel)
                    if notification_id_for(*key) in case_file.notifications:
                        continue  # requested already (the case file lists every one)
                    reach = (channel, recipient)
                    addressed = context | {"addressee": org.name}
                    new.append(
                        self._request(
                            case_file, template, incoming, reach, addressed, audience, org.id
                        )
                    )
        processing_event.collect_events(case_file, *new)

    def _office_channels(
        self, tenant: str, organization: str, email: str
    ) -> list[tuple[Channel, str]]:
        channels = [(Channel.EMAIL, email)]
        webhook = self.tenant_policy(tenant).webhooks.get(organization)
        if webhook is not None:
            channels.append((Channel.WEBHOOK, webhook.url))
        return channels

    def _request(
        self,
        case_file: CaseFile,
        template: Template,
        incoming: Incoming,
        reach: tuple[Channel, str],
        context: Context,
        audience: Audience = Audience.CITIZEN,
        organization: str | None = None,
    ) -> Notification:
        """Offices are written to in Italian; citizens in their language, if the tenant has it."""
        channel, recipient = reach
        language = "it"
        if audience is Audience.CITIZEN:
            language = self.tenant_policy(case_file.tenant).language_for(case_file.language)
        notification = Notification.request(
            case_id=case_file.case_id,
            tenant=case_file.tenant,
            template=template,
            trigger_event_id=incoming.envelope.id,
            recipient=recipient,
            language=language,
            context=context,
            requested_at=self.clock(),
            traceparent=child_traceparent(incoming.envelope.traceparent),
            channel=channel,
            audience=audience,
            organization=organization,
        )
        case_file.record_notification(notification.id)
        return notification

    def _offer_survey(
        self, case_file: CaseFile, notification_id: UUID, policy: NotifyPolicy
    ) -> tuple[Survey, Context]:
        token = self.new_token()
        now = self.clock()
        survey = Survey.offer(
            token=token,
            case_id=case_file.case_id,
            tenant=case_file.tenant,
            organization=case_file.organization,
            notification_id=notification_id,
            offered_at=now,
            expires_at=now + timedelta(days=policy.survey.valid_days),
        )
        base = (policy.survey.base_url or self.survey_base_url).rstrip("/")
        expires = local_time(survey.expires_at, self.tenants.get(case_file.tenant))[:10]
        url = (
            f"{base}/{token}" if base else rating_url(self.public_site_url, case_file.tenant, token)
        )
        return survey, {"survey_url": url, "survey_expires": expires}

    def _letter_tray(self, tenant: str, notification_id: UUID) -> LetterTray:
        tray = self._find(LetterTray, letter_tray_id(tenant)) or LetterTray.for_tenant(tenant)
        tray.add(notification_id)
        return tray

    def _find(self, kind: type[AggregateT], aggregate_id: UUID) -> AggregateT | None:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(aggregate, kind)
        return aggregate
