"""Files an office adds to a case (issue 18 point 6: the inspection's report, *verbale di
sopralluogo*): `POST /cases/{case_id}/attachments` with the file as the body.

Kept in intake's attachment store (each file once, by its SHA-256, as the mailboxes' files),
referenced by the case and erased with its citizen; the answer's `sha256` is what a step such
as `report-inspection` names.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel
from sportello_shared.auth import require_act
from sportello_shared.problems import Refusal
from starlette.concurrency import run_in_threadpool

from .api import IntakeDep
from .mailbox.attachments import URI_PREFIX

MAX_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
router = APIRouter(tags=["cases"])


class StoredAttachment(BaseModel):
    uri: str
    sha256: str
    name: str
    media_type: str
    size: int


@router.post(
    "/cases/{case_id}/attachments",
    status_code=201,
    responses={413: {"description": "too large"}, 415: {"description": "not a PDF or image"}},
)
async def add_attachment(
    case_id: UUID,
    request: Request,
    intake: IntakeDep,
    name: Annotated[str, Query(min_length=1, max_length=200)] = "allegato",
    content_type: Annotated[str, Header()] = "application/octet-stream",
) -> StoredAttachment:
    """Store a file for the case (PDF, JPEG or PNG, up to 10 MB): its `sha256` names it."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in ALLOWED_TYPES:
        raise Refusal(
            415,
            it=f"tipo di file non ammesso ({media_type}): PDF, JPEG o PNG",
            en=f"file type not allowed ({media_type}): PDF, JPEG or PNG",
        )
    data = await request.body()
    if not data or len(data) > MAX_BYTES:
        raise Refusal(413, it="file vuoto o oltre 10 MB", en="empty file or over 10 MB")
    case = await intake.case(case_id)
    require_act(intake.principal, case.tenant, case.organization)
    reports = intake.app.procedures.reports
    if reports is None:
        raise Refusal(503, it="archivio allegati non configurato", en="no attachment store")
    digest = await run_in_threadpool(reports.put, data)
    if case.data_subject:
        await run_in_threadpool(reports.link, digest, case.id, case.data_subject)
    return StoredAttachment(
        uri=URI_PREFIX + digest, sha256=digest, name=name, media_type=media_type, size=len(data)
    )
