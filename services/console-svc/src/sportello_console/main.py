"""console-svc composition root: wiring only."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sportello_shared.http import serve
from sportello_shared.tenants import load_tenants
from sportello_web import WebSettings, install_web, make_templates, render_error

from .catalogue import console_catalogue
from .feed import Broadcaster, Feed, Projection
from .pages import annual, anomalies, anomaly, case, dashboard, erasure, find, new_case, queues
from .procedure_forms import load_procedure_steps
from .readmodel import ReadModel
from .replies import load_replies
from .routing_words import routing_reasons
from .services import Services, SignInExpired, Unavailable
from .settings import ConsoleSettings
from .signin import SignInRequired, make_oauth, signin_router

TEMPLATES = Path(__file__).parent / "templates"
BRAND = {"site": "Sportello", "owner": "Sportello, console degli operatori",
         "tagline": "Segnalazioni e reclami dei cittadini"}  # fmt: skip


def read_model_path(settings: ConsoleSettings) -> Path:
    return settings.data_dir / "console-readmodel.sqlite"


def build(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    model = ReadModel(read_model_path(settings))
    broadcaster = Broadcaster()
    feed = Feed(
        settings.nats_servers,
        Projection(model, broadcaster),
        settings.durable,
        inbox_prefix=settings.nats_inbox_prefix,
    )
    services = Services(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await feed.start()
        try:
            yield
        finally:
            await feed.stop()
            await services.close()
            model.close()

    app = FastAPI(title="Sportello console", lifespan=lifespan, docs_url=None, redoc_url=None)
    catalogue = console_catalogue()
    templates = make_templates([TEMPLATES], catalogue, BRAND)
    templates.env.globals["routing_reasons"] = routing_reasons
    secret = settings.session_secret.get_secret_value()
    web = WebSettings(
        secret, "sportello_console", settings.secure_cookies, form_action=(settings.oidc_origin,)
    )
    install_web(app, web, templates)
    app.state.settings = settings
    app.state.catalogue = catalogue
    app.state.services = services
    app.state.model = model
    app.state.broadcaster = broadcaster
    app.state.tenants = load_tenants(settings.tenants_dir)
    app.state.replies = load_replies(settings.tenants_dir)
    app.state.procedure_steps = load_procedure_steps(settings.tenants_dir)  # Casale's (issue 18)
    app.include_router(signin_router(settings, make_oauth(settings)))
    for pages in (queues, new_case, erasure, case, find, dashboard):
        app.include_router(pages.router)
    for pages in (anomalies, anomaly, annual):  # the register's /nuova before its /{id}
        app.include_router(pages.router)
    _ops_routes(app, feed)
    _failure_pages(app)
    return app


def _ops_routes(app: FastAPI, feed: Feed) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        ready = feed.connected
        return JSONResponse({"ready": ready, "nats": ready}, status_code=200 if ready else 503)

    @app.get("/uscito", include_in_schema=False)
    def signed_out(request: Request) -> Response:
        page: Response = app.state.templates.TemplateResponse(request, "signed_out.html", {})
        return page


def _failure_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_first(_: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/accedi?next={exc.next_path}", status_code=303)

    @app.exception_handler(SignInExpired)
    async def signed_out(request: Request, _: SignInExpired) -> Response:
        request.session.clear()
        return RedirectResponse("/accedi", status_code=303)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable) -> Response:
        return render_error(app.state.templates, request, 503, str(exc))


def run_server() -> None:
    settings = ConsoleSettings()
    serve(settings, lambda: build(settings))


def cli() -> None:
    """`sportello-console`: no argument serves; `rebuild` re-reads the streams into the model."""
    if sys.argv[1:] == ["rebuild"]:
        from .rebuild import rebuild

        rebuild(ConsoleSettings())
        return
    run_server()
