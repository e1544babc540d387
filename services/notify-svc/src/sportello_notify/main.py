"""notify-svc composition root: wiring only."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from pydantic import AliasChoices, Field, SecretStr
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.contracts.subjects import CASES_STREAM, case_events
from sportello_shared.http import create_service_app, serve
from sportello_shared.runtime import Runtime, ServiceParts, Worker
from sportello_shared.settings import ServiceSettings
from sportello_shared.tenants import load_tenants

from . import api
from .adapters.dispatcher import DISPATCH_POSITION, Backoff, Dispatcher
from .adapters.mailer import SmtpConfig, SmtpMailer
from .adapters.publishing import to_public
from .application import CaseNotFound, NotificationNotFound, NotifyApplication


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

    def backoff(self) -> Backoff:
        return Backoff(self.smtp_max_attempts, self.smtp_retry_base, self.smtp_retry_cap)


def smtp_dispatcher(settings: NotifySettings) -> Worker:
    async def smtp_dispatch(runtime: Runtime[Any], stop: asyncio.Event) -> None:
        dispatcher = Dispatcher(
            runtime.app,
            runtime.writer,
            SmtpMailer(settings.smtp()),
            runtime.lease(DISPATCH_POSITION),
            backoff=settings.backoff(),
            poll_interval=settings.dispatch_poll_interval,
        )
        await dispatcher.run(stop)

    return smtp_dispatch


def build(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    tenants = load_tenants(settings.tenants_dir)
    parts = ServiceParts(
        settings=settings,
        make_application=lambda env: NotifyApplication(tenants, env=env),
        to_public=to_public,
        consumers=[
            # the case lifecycle: the file on each case, and the events the citizen is told of
            ConsumerSpec(
                "notify",
                CASES_STREAM,
                "notify",
                (
                    case_events("received"),
                    case_events("assigned"),
                    case_events("taken_in_charge"),
                    case_events("closed"),
                ),
            ),
        ],
        workers=[smtp_dispatcher(settings)],
    )
    return create_service_app(
        parts,
        [api.router],
        title="Sportello notify-svc",
        error_statuses={CaseNotFound: 404, NotificationNotFound: 404},
    )


def cli() -> None:
    settings = NotifySettings()
    serve(settings, lambda: build(settings))
