"""The citizens' public site (public-svc) composition root: settings and wiring only.

It faces the internet: no staff session, no service credential but its own platform key per
tenant (`PUBLIC_SITE_KEYS_FILE`: a JSON list of {"client", "tenant", "key"}, entries of client
`public-site`), which intake-svc knows by its digest like any other platform's.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import AliasChoices, Field
from sportello_shared.logging import configure_logging
from sportello_shared.persistence import ensure_schema, store_initialisation_lock
from sportello_shared.public_site import DEFAULT_PUBLIC_SITE_URL
from sportello_shared.settings import ServiceSettings
from sportello_shared.tenants import load_tenants
from sportello_web import WebSettings, install_web, make_templates

from . import follow, rating, report
from .limits import SlidingWindow
from .mail import SmtpSettings
from .messages import CATALOGUE
from .retention import sweeping
from .services import Services
from .site import Site
from .submissions import PublicApplication

CLIENT = "public-site"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


class PublicSettings(ServiceSettings):
    service_name: str = "public-site"
    http_port: int = 8005
    public_url: str = Field(default=DEFAULT_PUBLIC_SITE_URL, validation_alias="PUBLIC_SITE_URL")
    intake_url: str = Field(default="http://127.0.0.1:8001", validation_alias="INTAKE_URL")
    notify_url: str = Field(default="http://127.0.0.1:8004", validation_alias="NOTIFY_URL")
    keys_file: Path | None = Field(default=None, validation_alias="PUBLIC_SITE_KEYS_FILE")
    secret_key: str | None = Field(default=None, validation_alias="PUBLIC_SECRET_KEY")
    secure_cookies: bool = Field(default=False, validation_alias="PUBLIC_SECURE_COOKIES")
    smtp_host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("SMTP_HOST"))
    smtp_port: int = Field(default=1025, validation_alias=AliasChoices("SMTP_PORT"))
    smtp_from: str = Field(
        default="Sportello <noreply@sportello.example>", validation_alias="SMTP_FROM"
    )
    reports_per_email_hour: int = Field(default=5, validation_alias="PUBLIC_REPORTS_PER_EMAIL")
    reports_per_client_hour: int = Field(default=20, validation_alias="PUBLIC_REPORTS_PER_CLIENT")
    # a report never confirmed is erased (its key deleted) after this many days
    submission_retention_days: float = Field(
        default=7, gt=0, validation_alias="PUBLIC_SUBMISSION_RETENTION_DAYS"
    )
    submission_sweep_interval: float = Field(
        default=3600, ge=0, validation_alias="PUBLIC_SUBMISSION_SWEEP_INTERVAL"
    )

    def platform_keys(self) -> dict[str, str]:
        if self.keys_file is None or not self.keys_file.exists():
            return {}
        issued = json.loads(self.keys_file.read_text(encoding="utf-8"))
        return {k["tenant"]: k["key"] for k in issued if k.get("client", CLIENT) == CLIENT}

    def session_secret(self) -> str:
        """PUBLIC_SECRET_KEY, else one made at first run under the data dir (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "public-secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        return path.read_text(encoding="utf-8").strip()


def build(
    settings: PublicSettings | None = None, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    settings = settings or PublicSettings()
    tenants = load_tenants(settings.tenants_dir)
    templates = make_templates([TEMPLATES], CATALOGUE, {"site": "Sportello", "owner": "Comune"})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with store_initialisation_lock(settings):
            ensure_schema(settings)
            store = PublicApplication(env=settings.eventsourcing_env())
        services = Services(settings.intake_url, settings.notify_url, settings.platform_keys())
        now = clock or (lambda: datetime.now(UTC))
        app.state.site = Site(
            app=store,
            services=services,
            tenants=tenants,
            templates=templates,
            smtp=SmtpSettings(settings.smtp_host, settings.smtp_port, settings.smtp_from),
            base_url=settings.public_url.rstrip("/"),
            per_email=SlidingWindow(settings.reports_per_email_hour, 3600),
            per_client=SlidingWindow(settings.reports_per_client_hour, 3600),
            clock=now,
        )
        retention = timedelta(days=settings.submission_retention_days)
        try:
            async with sweeping(store, now, retention, settings.submission_sweep_interval):
                yield
        finally:
            await services.close()
            store.close()

    app = FastAPI(title="Sportello public site", lifespan=lifespan, docs_url=None, redoc_url=None)
    web = WebSettings(
        secret_key=settings.session_secret(),
        session_cookie="sportello_public",
        secure_cookies=settings.secure_cookies,
    )
    install_web(app, web, templates)
    app.mount("/static/public", StaticFiles(directory=STATIC), name="public-static")
    for router in (report.router, follow.router, rating.router):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "home.html", {"tenants": list(tenants)})

    return app


def cli() -> None:
    settings = PublicSettings()
    configure_logging(settings.service_name, settings.log_level)
    uvicorn.run(build(settings), host=settings.http_host, port=settings.http_port, log_config=None)
