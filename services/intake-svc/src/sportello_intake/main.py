"""intake-svc composition root: wiring only."""

from __future__ import annotations

from fastapi import FastAPI
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.contracts.subjects import (
    CASES_STREAM,
    INGEST_STREAM,
    SLA_STREAM,
    case_events,
)
from sportello_shared.http import create_service_app, serve
from sportello_shared.runtime import ServiceParts
from sportello_shared.settings import ServiceSettings
from sportello_shared.tenants import load_tenants

from . import api
from .adapters.case_index import PostgresCaseIndex, SQLiteCaseIndex
from .adapters.indexing import index_cases
from .adapters.publishing import to_public
from .application import (
    CaseNotFound,
    IdempotencyConflict,
    IntakeApplication,
    NothingToErase,
    UnknownCategory,
    UnknownTenant,
)
from .domain import CaseError
from .open311 import router as open311_router
from .search import CaseIndex


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001


def open_case_index(settings: ServiceSettings) -> CaseIndex:
    if settings.database_url:
        return PostgresCaseIndex(settings.database_url, settings.store_schema)
    return SQLiteCaseIndex(settings.data_dir / f"{settings.service_name}-index.sqlite")


def build(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    tenants = load_tenants(settings.tenants_dir)
    parts = ServiceParts(
        settings=settings,
        make_application=lambda env: IntakeApplication(tenants, open_case_index(settings), env=env),
        to_public=to_public,
        consumers=[
            # routing's decisions, recorded on the case file
            ConsumerSpec(
                "intake",
                CASES_STREAM,
                "intake",
                (case_events("assigned"), case_events("routing_failed")),
            ),
            # sla's deadlines, for Open311's expected_datetime
            ConsumerSpec("intake", SLA_STREAM, "intake", ("sla.*.*.deadline_set", "sla.*.*.met")),
            # cases and status reports published by other platforms and partner companies
            ConsumerSpec(
                "intake", INGEST_STREAM, "intake", ("ingest.>",), ignore_unknown_types=False
            ),
        ],
        workers=[index_cases],
    )
    return create_service_app(
        parts,
        [api.router],
        public_routers=[open311_router],  # GeoReport v2: public reads, api_key to post
        title="Sportello intake-svc",
        form_prefixes=("/open311/",),  # GeoReport v2 clients post form-encoded
        rate_limits={"/open311/v2/requests": 60.0},  # per client address and minute
        error_statuses={
            CaseNotFound: 404,
            NothingToErase: 404,
            UnknownTenant: 422,
            UnknownCategory: 422,
            CaseError: 409,
            IdempotencyConflict: 422,
        },
    )


def run_server() -> None:
    settings = IntakeSettings()
    serve(settings, lambda: build(settings))


def cli() -> None:
    """The `sportello-intake` executable: no argument starts the server; `erase` forgets."""
    from .cli import app  # imported late: the CLI needs this module, not the other way round

    app()
