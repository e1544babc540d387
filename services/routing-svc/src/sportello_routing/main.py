"""routing-svc composition root: wiring only."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.contracts.subjects import CASES_STREAM, case_events
from sportello_shared.http import create_service_app, problem
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
    UnknownTenant,
    VersionNotFound,
)
from .domain import InvalidRules, OrganizationInUse, Problem, UnknownOrganization, VersionConflict

CONSUMED = ("received", "reassignment_requested", "reopened", "personal_data_erased")


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
            ConsumerSpec(
                "routing", CASES_STREAM, "routing", tuple(case_events(e) for e in CONSUMED)
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
            UnknownTenant: 404,
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


async def _invalid_rules(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidRules)
    return _problems("Invalid rules", exc.report.errors, warnings=exc.report.warnings)


async def _invalid_document(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidDocument)
    return _problems("Invalid routing document", tuple(exc.problems))


def _problems(
    title: str, errors: tuple[Problem, ...], warnings: tuple[Problem, ...] = ()
) -> JSONResponse:
    return problem(
        422,
        title,
        "; ".join(f"{p.field}: {p.message}" for p in errors),
        errors=[{"field": p.field, "message": p.message} for p in errors],
        warnings=[{"field": p.field, "message": p.message} for p in warnings],
    )


def cli() -> None:
    """The `sportello-routing` console script: serves with no arguments (see cli.py)."""
    from .cli import app

    app()
