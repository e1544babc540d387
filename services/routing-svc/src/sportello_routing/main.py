"""routing-svc composition root: wiring only."""

from __future__ import annotations

from fastapi import FastAPI
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.contracts.subjects import CASES_STREAM, case_events
from sportello_shared.http import create_service_app, serve
from sportello_shared.runtime import ServiceParts
from sportello_shared.settings import ServiceSettings
from sportello_shared.tenants import load_tenants

from . import api
from .adapters.publishing import to_public
from .application import AssignmentNotFound, RoutingApplication


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    http_port: int = 8002


def build(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()
    tenants = load_tenants(settings.tenants_dir)
    parts = ServiceParts(
        settings=settings,
        make_application=lambda env: RoutingApplication(tenants, env=env),
        to_public=to_public,
        consumers=[ConsumerSpec("routing", CASES_STREAM, "routing", (case_events("received"),))],
    )
    return create_service_app(
        parts, [api.router], title="Sportello routing-svc", error_statuses={AssignmentNotFound: 404}
    )


def cli() -> None:
    settings = RoutingSettings()
    serve(settings, lambda: build(settings))
