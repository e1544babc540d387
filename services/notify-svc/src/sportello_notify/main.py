"""notify-svc composition root: wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from pydantic import AliasChoices, Field, SecretStr
from sportello_contracts.subjects import CASES_STREAM, SLA_STREAM, case_events
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.http import create_service_app, serve
from sportello_shared.public_site import DEFAULT_PUBLIC_SITE_URL
from sportello_shared.runtime import Runtime, ServiceParts, Worker
from sportello_shared.settings import ServiceSettings
from sportello_shared.tenants import load_tenants

from . import api
from .adapters.delivery import Sender
from .adapters.dispatch_plan import Backoff
from .adapters.dispatcher import DISPATCH_POSITION, Dispatcher
from .adapters.http_channels import HttpSmsSender, SmsConfig, WebhookSender
from .adapters.mailer import SmtpConfig
from .adapters.pec import AccountMailer
from .adapters.policies import load_policies
from .adapters.publishing import to_public
from .adapters.rendering import RenderingFailed, TemplateRenderer
from .application import (
    DEFAULT_MAX_EVENT_AGE,
    DEFAULT_SURVEY_BASE_URL,
    CaseNotFound,
    NotALetter,
    NotificationNotFound,
    NotifyApplication,
)
from .domain import (
    AlreadyAcknowledged,
    AlreadySettled,
    Channel,
    InvalidRating,
    NoAlert,
    NotifyPolicy,
    NotSettled,
    SurveyAlreadyAnswered,
    SurveyExpired,
)
from .surveying import SurveyNotFound

ON_CALL_LEASE = "on-call"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8004
    smtp_host: str = Field(default="127.0.0.1", validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(default=1025, validation_alias=_env("SMTP_PORT"))
    smtp_from: str = Field(
        default="Sportello <noreply@sportello.example>", validation_alias=_env("SMTP_FROM")
    )
    smtp_starttls: bool = Field(default=False, validation_alias=_env("SMTP_STARTTLS"))
    smtp_username: str | None = Field(default=None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(default=None, validation_alias=_env("SMTP_PASSWORD"))
    smtp_timeout: float = Field(default=30.0, validation_alias=_env("SMTP_TIMEOUT"))
    smtp_max_attempts: int = Field(default=5, ge=1, validation_alias=_env("SMTP_MAX_ATTEMPTS"))
    smtp_retry_base: float = Field(default=1.0, gt=0, validation_alias=_env("SMTP_RETRY_BASE"))
    smtp_retry_cap: float = Field(default=60.0, gt=0, validation_alias=_env("SMTP_RETRY_CAP"))
    dispatch_poll_interval: float = Field(
        default=1.0, gt=0, validation_alias=_env("DISPATCH_POLL_INTERVAL")
    )
    # Messages of different cases delivered at once (one SMTP session or HTTP request each).
    dispatch_concurrency: int = Field(
        default=8, ge=1, le=64, validation_alias=_env("DISPATCH_CONCURRENCY")
    )
    sms_endpoint: str | None = Field(default=None, validation_alias=_env("SMS_ENDPOINT"))
    sms_token: SecretStr | None = Field(default=None, validation_alias=_env("SMS_TOKEN"))
    sms_sender: str = Field(default="Sportello", validation_alias=_env("SMS_SENDER"))
    http_timeout: float = Field(default=10.0, gt=0, validation_alias=_env("NOTIFY_HTTP_TIMEOUT"))
    # Events older than this are tracked but tell nobody: a first deploy or a consumer reset
    # replays the whole CASES stream, and citizens must not get years of old news. ISO 8601
    # duration ("P2D", "PT12H").
    max_event_age: timedelta = Field(
        default=DEFAULT_MAX_EVENT_AGE, validation_alias=_env("NOTIFY_MAX_EVENT_AGE")
    )
    survey_base_url: str = Field(
        default=DEFAULT_SURVEY_BASE_URL, validation_alias=_env("NOTIFY_SURVEY_BASE_URL")
    )
    public_site_url: str = Field(
        default=DEFAULT_PUBLIC_SITE_URL, validation_alias=_env("PUBLIC_SITE_URL")
    )
    # How often the on-call rota's unanswered alerts are looked at (seconds).
    on_call_poll_interval: float = Field(
        default=30.0, gt=0, validation_alias=_env("ON_CALL_POLL_INTERVAL")
    )

    def smtp(self) -> SmtpConfig:
        return SmtpConfig(
            host=self.smtp_host,
            port=self.smtp_port,
            sender=self.smtp_from,
            starttls=self.smtp_starttls,
            username=self.smtp_username,
            password=self.smtp_password.get_secret_value() if self.smtp_password else None,
            timeout=self.smtp_timeout,
        )

    def sms(self) -> SmsConfig:
        return SmsConfig(
            endpoint=self.sms_endpoint,
            token=self.sms_token.get_secret_value() if self.sms_token else None,
            sender=self.sms_sender,
            timeout=self.http_timeout,
        )

    def backoff(self) -> Backoff:
        """One bound for every channel: SMTP_* names kept from when mail was the only one."""
        return Backoff(self.smtp_max_attempts, self.smtp_retry_base, self.smtp_retry_cap)


def senders(
    settings: NotifySettings, policies: Mapping[str, NotifyPolicy], mail: AccountMailer
) -> dict[Channel, Sender]:
    def webhook_secret(tenant: str, organization: str | None) -> str | None:
        policy = policies.get(tenant)
        webhook = policy.webhooks.get(organization or "") if policy else None
        return os.environ.get(webhook.secret_env) if webhook and webhook.secret_env else None

    return {
        # a citizen who wrote by PEC is answered from the tenant's PEC box (adapters/pec.py)
        Channel.EMAIL: mail,
        Channel.SMS: HttpSmsSender(settings.sms()),
        Channel.WEBHOOK: WebhookSender(webhook_secret, settings.http_timeout),
    }


def dispatcher(
    settings: NotifySettings, policies: Mapping[str, NotifyPolicy], renderer: TemplateRenderer
) -> Worker:
    async def dispatch(runtime: Runtime[Any], stop: asyncio.Event) -> None:
        mail = AccountMailer.for_tenants(settings.smtp(), settings.tenants_dir)
        dispatcher = Dispatcher(
            runtime.app,
            runtime.writer,
            senders(settings, policies, mail),
            runtime.lease(DISPATCH_POSITION),
            renderer=renderer,
            backoff=settings.backoff(),
            poll_interval=settings.dispatch_poll_interval,
            concurrency=settings.dispatch_concurrency,
            safety_poll=settings.follower_safety_poll,
        )
        try:
            await dispatcher.run(stop)
        finally:
            await mail.aclose()  # the kept SMTP sessions

    return dispatch


def on_call_escalation(settings: NotifySettings) -> Worker:
    """Pages the next of the rota where nobody acknowledged in time: one replica, by lease."""

    async def escalate(runtime: Runtime[Any], stop: asyncio.Event) -> None:
        lease = runtime.lease(ON_CALL_LEASE)
        await lease.acquire()
        try:
            while not stop.is_set() and await lease.still_held():
                await runtime.writer.call(runtime.app.escalate_on_call)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.on_call_poll_interval)
        finally:
            await lease.release()

    return escalate


def build(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    tenants = load_tenants(settings.tenants_dir)
    policies = load_policies(settings.tenants_dir, tenants)
    renderer = TemplateRenderer(tenants_dir=settings.tenants_dir)
    parts = ServiceParts(
        settings=settings,
        make_application=lambda env: NotifyApplication(
            tenants,
            env=env,
            policies=policies,
            max_event_age=settings.max_event_age,
            survey_base_url=settings.survey_base_url,
            public_site_url=settings.public_site_url,
        ),
        to_public=to_public,
        consumers=[
            # the case lifecycle: the file on each case, and the events people are told of
            ConsumerSpec(
                "notify",
                CASES_STREAM,
                "notify",
                (
                    case_events("received"),
                    case_events("classified"),
                    case_events("assigned"),
                    case_events("routing_failed"),
                    case_events("taken_in_charge"),
                    case_events("waiting_for_citizen"),
                    case_events("resumed"),
                    case_events("resolved"),
                    case_events("reopened"),
                    case_events("closed"),
                    case_events("personal_data_erased"),
                    case_events("citizen_updated"),
                    case_events("rejected"),  # a duplicate merged: its citizen is told
                    case_events("duplicate_merged"),
                    # Casale's procedures (issue 18 point 6)
                    case_events("protocolled"),
                    case_events("inspection_scheduled"),
                    case_events("attestation_issued"),
                ),
                # the citizen (to write to them) and the office's request or outcome are
                # intake's: asked on personal.<tenant>.notify before the reaction runs
                personal_data=frozenset(
                    {"received", "classified", "waiting_for_citizen", "closed", "citizen_updated"}
                ),
                requester="notify",
            ),
            # deadlines close to or past: the office and the URP are told
            ConsumerSpec(
                "notify",
                SLA_STREAM,
                "notify",
                ("sla.*.*.warning", "sla.*.*.breached"),
                background=True,
            ),
        ],
        workers=[dispatcher(settings, policies, renderer), on_call_escalation(settings)],
        relay_linger=0.2,  # what was sent goes to sla-svc's background consumer
    )
    app = create_service_app(
        parts,
        api.routers,
        title="Sportello notify-svc",
        public_routers=api.public_routers,  # the citizen's survey answer: its token is the key
        rate_limits={"/surveys/": 20.0},  # per client address and minute: guessing is pointless
        error_statuses={
            CaseNotFound: 404,
            NotificationNotFound: 404,
            SurveyNotFound: 404,
            RenderingFailed: 404,
            NoAlert: 404,
            AlreadyAcknowledged: 409,
            NotSettled: 409,
            AlreadySettled: 409,
            NotALetter: 409,
            SurveyAlreadyAnswered: 409,
            SurveyExpired: 410,
            InvalidRating: 422,
        },
    )
    app.state.renderer = renderer  # the API previews and letters word as the dispatcher
    return app


def cli() -> None:
    settings = NotifySettings()
    serve(settings, lambda: build(settings))
