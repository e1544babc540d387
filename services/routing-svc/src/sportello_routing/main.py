"""routing-svc composition root: wiring only."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sportello_contracts.subjects import CASES_STREAM, case_events
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.http import create_service_app, problem
from sportello_shared.problems import language_of, say
from sportello_shared.runtime import ServiceParts
from sportello_shared.settings import ServiceSettings
from sportello_shared.tenants import load_tenants

from . import api
from .adapters.publishing import to_public
from .adapters.routing_yaml import InvalidDocument, seed_documents
from .application import (
    AssignmentNotFound,
    ConcurrentChange,
    OrganizationUnavailable,
    RoutingApplication,
    VersionNotFound,
)
from .domain import InvalidRules, OrganizationInUse, Problem, UnknownOrganization, VersionConflict

CONSUMED = (
    "received",
    "reassignment_requested",
    "reopened",
    "classified",
    "personal_data_erased",
    # the triage-first workflow
    "forwarded",
    "office_answered",
)


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    http_port: int = 8002


def build(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()
    tenants = load_tenants(settings.tenants_dir)
    documents = seed_documents(settings.tenants_dir, tenants)

    def make_application(env: dict[str, str]) -> RoutingApplication:
        application = RoutingApplication(tenants, env=env)
        application.seed(documents)
        return application

    parts = ServiceParts(
        settings=settings,
        make_application=make_application,
        to_public=to_public,
        consumers=[
            # the description and the place (keywords, areas) are intake's: asked for each
            # received case on personal.<tenant>.routing
            ConsumerSpec(
                "routing",
                CASES_STREAM,
                "routing",
                tuple(case_events(e) for e in CONSUMED),
                personal_data=frozenset({"received"}),
                requester="routing",
            )
        ],
    )
    app = create_service_app(
        parts,
        api.routers,
        title="Sportello routing-svc",
        form_prefixes=("/routing/",),  # YAML documents are uploaded as files
        max_body_bytes=1024 * 1024,  # GeoJSON areas make routing documents large
        error_statuses={
            AssignmentNotFound: 404,
            UnknownOrganization: 404,
            VersionNotFound: 404,
            OrganizationInUse: 409,
            VersionConflict: 409,
            ConcurrentChange: 409,
            OrganizationUnavailable: 422,
        },
    )
    app.add_exception_handler(InvalidRules, _invalid_rules)
    app.add_exception_handler(InvalidDocument, _invalid_document)
    return app


async def _invalid_rules(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidRules)
    language = language_of(request.headers.get("accept-language"))
    title = say(language, "Regole non valide", "Invalid rules")
    return _problems(title, language, exc.report.errors, warnings=exc.report.warnings)


async def _invalid_document(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidDocument)
    language = language_of(request.headers.get("accept-language"))
    title = say(language, "Documento di smistamento non valido", "Invalid routing document")
    return _problems(title, language, tuple(exc.problems))


def _problems(
    title: str,
    language: str,
    errors: tuple[Problem, ...],
    warnings: tuple[Problem, ...] = (),
) -> JSONResponse:
    """In the caller's language (Accept-Language: Italian by default, English)."""
    return problem(
        422,
        title,
        "; ".join(f"{p.field}: {p.said(language)}" for p in errors),
        errors=[{"field": p.field, "message": p.said(language)} for p in errors],
        warnings=[{"field": p.field, "message": p.said(language)} for p in warnings],
    )
