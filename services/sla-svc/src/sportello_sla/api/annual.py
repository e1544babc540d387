"""The yearly report on the Carta: the draft (staff, with a token), its publication, and the
published report (anyone, no token) at a stable address for "Amministrazione trasparente"."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sportello_shared import outages
from sportello_shared.auth import Actor, CurrentPrincipal, require_act, require_read
from sportello_shared.edge import invalid

from ..adapters.annual_rendering import Publication, as_csv, as_html, as_pdf
from ..annual_model import AnnualReport
from ..reporting import ReportPublishing, build_annual
from .deps import SlaDep

router = APIRouter(tags=["reports"])
public_router = APIRouter(tags=["reports"])

Format = Literal["html", "pdf", "csv", "json"]
Language = Literal["it", "en"]
Year = Annotated[int, Query(ge=2000, le=2100)]
PUBLIC_PATH = "/public/reports/annual/{tenant}/{year}"


async def _render(
    report: AnnualReport, format: Format, lang: Language, state: Publication
) -> Response:
    """The document in the asked format; its digest and as-of instant in headers."""
    headers = {
        "X-Report-Digest": report.digest,
        "X-Report-As-Of": report.as_of.isoformat(),
        "Cache-Control": "no-store" if state.published_at is None else "public, max-age=3600",
    }
    name = f"relazione-carta-{report.tenant}-{report.year}"
    if format == "pdf":
        # WeasyPrint takes a second or more: off the event loop; it reads no store, so the
        # request's store deadline does not bound it
        body = await asyncio.to_thread(as_pdf, report, lang, state)
        headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return Response(body, media_type="application/pdf", headers=headers)
    if format == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return Response(as_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
    if format == "html":
        html = await asyncio.to_thread(as_html, report, lang, state)
        return HTMLResponse(html, headers=headers)
    return JSONResponse(report.model_dump(mode="json"), headers=headers)


@router.get("/reports/annual", response_model=None)
async def annual(
    sla: SlaDep,
    principal: CurrentPrincipal,
    tenant: str,
    year: Year,
    format: Format = "html",
    lang: Language = "it",
    as_of: AwareDatetime | None = None,
) -> Response:
    """The year's report as it stands (a draft until published): for the tenant's URP or
    contact centre, admins and auditors. `as_of` rebuilds the figures as of an earlier instant
    (the one a reviewer saw, to publish it); the default is now."""
    sla.tenant(tenant)
    require_read(principal, tenant, None)
    now = datetime.now(UTC)
    if as_of is not None and as_of > now:
        invalid("as_of", it="non può essere nel futuro", en="must not be in the future")
    board = await sla.board()
    report = build_annual(sla.catalogue, board, tenant, year, as_of or now)
    return await _render(report, format, lang, Publication())


class PublishReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=63)
    year: int = Field(ge=2000, le=2100)
    as_of: AwareDatetime = Field(description="the X-Report-As-Of of the draft reviewed")
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="its X-Report-Digest")


class Published(BaseModel):
    tenant: str
    year: int
    digest: str
    as_of: datetime
    published_at: datetime
    url: str


@router.post("/reports/annual/publication", status_code=201)
async def publish(
    body: PublishReport, sla: SlaDep, principal: CurrentPrincipal, actor: Actor
) -> Published:
    """Publish the year's report exactly as reviewed (409 if it changed since, or was already
    published): from then on it is served, frozen, at `url` without a token."""
    sla.tenant(body.tenant, "body")
    require_act(principal, body.tenant, None)
    await sla.board()
    publishing = ReportPublishing(sla.app)
    published = await sla.writer.call(
        publishing.publish,
        body.tenant,
        body.year,
        body.as_of,
        body.digest,
        actor,
        datetime.now(UTC),
    )
    return Published(
        tenant=published.tenant,
        year=published.year,
        digest=published.digest,
        as_of=published.report.as_of,
        published_at=published.published_at,
        url=PUBLIC_PATH.format(tenant=published.tenant, year=published.year),
    )


@public_router.get(PUBLIC_PATH, response_model=None)
async def published_report(
    tenant: str, year: int, sla: SlaDep, format: Format = "html", lang: Language = "it"
) -> Response:
    """The published report, as it was published; 404 until it is."""
    sla.tenant(tenant, "path")
    published = await outages.read(ReportPublishing(sla.app).published, tenant, year)
    state = Publication(published_at=published.published_at)
    return await _render(published.report, format, lang, state)
