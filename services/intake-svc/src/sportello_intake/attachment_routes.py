"""Files an office adds to a case (issue 18 point 6: the inspection's report, *verbale di
sopralluogo*): `POST /attachments/cases/{case_id}`, the file as multipart `file` (the shared
edge takes forms under `/attachments/` only, and bodies there up to `MAX_FILE_BYTES`).

Kept in intake's attachment store (each file once, by its SHA-256, as the mailboxes' files),
referenced by the case and erased with its citizen; the answer's `sha256` is what a step such
as `report-inspection` names.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sportello_shared.auth import require_act
from sportello_shared.problems import Refusal
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from .api import IntakeDep
from .mailbox.attachments import URI_PREFIX

MAX_FILE_BYTES = 20 * 1024 * 1024  # a scanned report of some pages; as a mailbox's default
ALLOWED_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
router = APIRouter(tags=["cases"])


class StoredAttachment(BaseModel):
    uri: str
    sha256: str
    name: str
    media_type: str
    size: int


@router.post(
    "/attachments/cases/{case_id}",
    status_code=201,
    responses={413: {"description": "over the edge's body limit"}, 415: {"description": "type"}},
)
async def add_attachment(case_id: UUID, request: Request, intake: IntakeDep) -> StoredAttachment:
    """Store a file for the case (PDF, JPEG or PNG), sent as multipart `file`
    (`curl -F file=@verbale.pdf`): its `sha256` names it in a step such as `report-inspection`.
    Files up to 20 MB; a larger body gets 413 before it is read."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refusal(
            415, it="invii il file come multipart 'file'", en="send it as multipart 'file'"
        )
    upload = (await request.form()).get("file")
    if not isinstance(upload, StarletteUpload):
        raise Refusal(422, it="manca il file ('file')", en="the file is missing ('file')")
    media_type = (upload.content_type or "").split(";")[0].strip().lower()
    if media_type not in ALLOWED_TYPES:
        raise Refusal(
            415,
            it=f"tipo di file non ammesso ({media_type}): PDF, JPEG o PNG",
            en=f"file type not allowed ({media_type}): PDF, JPEG or PNG",
        )
    data = await upload.read()
    if not data:
        raise Refusal(422, it="file vuoto", en="empty file")
    case = await intake.case(case_id)
    require_act(intake.principal, case.tenant, case.organization)
    reports = intake.app.procedures.reports
    if reports is None:
        raise Refusal(503, it="archivio allegati non configurato", en="no attachment store")
    digest = await run_in_threadpool(reports.put, data)
    if case.data_subject:
        await run_in_threadpool(reports.link, digest, case.id, case.data_subject)
    name = (upload.filename or "allegato")[:200]
    return StoredAttachment(
        uri=URI_PREFIX + digest, sha256=digest, name=name, media_type=media_type, size=len(data)
    )
