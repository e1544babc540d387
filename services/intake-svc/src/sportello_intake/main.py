"""intake-svc composition root: wiring only."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import FastAPI
from pydantic import AliasChoices, Field
from sportello_contracts.subjects import (
    CASES_STREAM,
    INGEST_STREAM,
    SLA_STREAM,
    case_events,
)
from sportello_shared.bus.consumer import ConsumerSpec
from sportello_shared.http import create_service_app, serve
from sportello_shared.runtime import ServiceParts
from sportello_shared.settings import ServiceSettings
from sportello_shared.tenants import TenantCatalogue, load_tenants

from . import (
    api,
    attachment_routes,
    citizen_api,
    command_routes,
    dossier_api,
    erasure_api,
    staff_api,
)
from .adapters.case_index import PostgresCaseIndex, SQLiteCaseIndex
from .adapters.indexing import index_cases
from .adapters.personal_responder import answer_personal_data
from .adapters.protocol_register import StoredProtocolRegister
from .adapters.publishing import to_public
from .adapters.retention import apply_retention
from .application import (
    AnsweredNeedsItsMode,
    CaseNotFound,
    IdempotencyConflict,
    IntakeApplication,
    LateEntryNeedsReason,
    NothingToErase,
    UnknownCategory,
)
from .contacts import ContactUnusable
from .domain import CaseError
from .duplicates import UnknownOriginal
from .mailbox.attachments import AttachmentStore
from .mailbox.worker import take_in_mailboxes
from .open311 import router as open311_router
from .procedures import ProcedureDetailInvalid, Procedures, load_procedures
from .search import CaseIndex


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    # per client address and minute on POST requests (a partner platform behind one address
    # may be given more)
    open311_rate_per_minute: float = Field(
        default=60.0, gt=0, validation_alias="OPEN311_RATE_PER_MINUTE"
    )
    # the case index applies each batch this much later: a lagging index on purpose, to test and
    # rehearse what clients see (docs/architecture.md, "Reading back what was just written")
    index_delay_s: float = Field(default=0.0, ge=0, validation_alias="INDEX_DELAY_S")
    # seconds between two retention runs (deploy/tenants/<t>/privacy.yaml); 0 turns it off
    retention_interval: float = Field(
        default=3600.0, ge=0, validation_alias=AliasChoices("RETENTION_INTERVAL")
    )
    # the tenants' mailboxes (deploy/tenants/<t>/mailboxes.yaml, docs/mailboxes.md): read over
    # IMAP, from local Maildirs under INBOX_DIR/<tenant>/<mailbox> (make run), or not at all
    mailbox_source: Literal["off", "maildir", "imap"] = Field(
        default="off", validation_alias="MAILBOX_SOURCE"
    )
    inbox_dir: Path | None = Field(default=None, validation_alias="INBOX_DIR")  # data_dir/inbox
    attachment_dir: Path | None = Field(default=None, validation_alias="ATTACHMENT_DIR")
    # seconds between two sweeps deleting the attachments of erased citizens; 0 turns it off
    attachment_reap_interval: float = Field(
        default=60.0, ge=0, validation_alias="ATTACHMENT_REAP_INTERVAL"
    )


def open_case_index(settings: ServiceSettings) -> CaseIndex:
    if settings.database_url:
        return PostgresCaseIndex(settings.database_url, settings.store_schema)
    return SQLiteCaseIndex(settings.data_dir / f"{settings.service_name}-index.sqlite")


def make_application(
    settings: IntakeSettings, tenants: TenantCatalogue, env: dict[str, str] | None
) -> IntakeApplication:
    """The application with its adapters: the case index, and for Casale's procedures the
    protocol register in intake's own store and the attachment store of the reports."""
    store = AttachmentStore(settings.attachment_dir or settings.data_dir / "attachments")
    procedures = Procedures(load_procedures(settings.tenants_dir), reports=store)
    app = IntakeApplication(tenants, open_case_index(settings), env=env, procedures=procedures)
    procedures.register = StoredProtocolRegister(app)
    return app


def build(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    tenants = load_tenants(settings.tenants_dir)
    parts = ServiceParts(
        settings=settings,
        make_application=lambda env: make_application(settings, tenants, env),
        to_public=to_public,
        consumers=[
            # routing's decisions, recorded on the case file
            ConsumerSpec(
                "intake",
                CASES_STREAM,
                "intake",
                (case_events("assigned"), case_events("routing_failed")),
                background=True,
            ),
            # sla's deadlines, for Open311's expected_datetime
            ConsumerSpec(
                "intake",
                SLA_STREAM,
                "intake",
                ("sla.*.*.deadline_set", "sla.*.*.met"),
                background=True,
            ),
            # cases and status reports published by other platforms and partner companies
            # (deleted from INGEST once registered: the contact they carry is intake's to keep)
            ConsumerSpec(
                "intake",
                INGEST_STREAM,
                "intake",
                ("ingest.>",),
                ignore_unknown_types=False,
                delete_processed=True,
            ),
        ],
        workers=[index_cases, apply_retention, take_in_mailboxes, answer_personal_data],
    )
    return create_service_app(
        parts,
        [
            staff_api.router,
            api.router,
            command_routes.router,
            attachment_routes.router,
            erasure_api.router,
            dossier_api.router,
        ],
        public_routers=[open311_router, citizen_api.router],  # platform keys, not staff tokens
        title="Sportello intake-svc",
        # GeoReport v2 clients post form-encoded; files come as multipart (attachment_routes)
        form_prefixes=("/open311/", "/attachments/"),
        larger_bodies={"/attachments/": attachment_routes.MAX_FILE_BYTES},  # a scanned verbale
        rate_limits={"/open311/v2/requests": settings.open311_rate_per_minute},
        error_statuses={
            CaseNotFound: 404,
            NothingToErase: 404,
            UnknownCategory: 422,
            LateEntryNeedsReason: 422,
            ContactUnusable: 422,
            CaseError: 409,
            ProcedureDetailInvalid: 422,
            IdempotencyConflict: 422,
            UnknownOriginal: 422,
            AnsweredNeedsItsMode: 422,
        },
    )


def run_server() -> None:
    settings = IntakeSettings()
    serve(settings, lambda: build(settings))
