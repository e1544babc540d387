"""The yearly report on the Carta (sla-svc's): the draft with its digest, its documents (HTML
shown in the page, PDF, CSV), and publication, confirmed against the digest reviewed.

The draft is read once for the page (JSON: its digest and as-of instant); the documents and the
publication name that instant, so what is shown, downloaded and published are the same figures.
Once published, the page shows the frozen report and its public address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sportello_web import language_of, require_csrf

from ..services import Refused
from .common import Console, ConsoleDep
from .register_access import (
    REPORT_PUBLISHERS,
    REPORT_READERS,
    publishes_reports,
    require,
    tenant_for,
    this_year,
    year_of,
)

router = APIRouter()
PUBLIC_PATH = "/public/reports/annual/{tenant}/{year}"
YEARS_BACK = 5
# the report is sla-svc's own document, with its own styles and SVG charts: shown in a frame of
# the page, sandboxed by its CSP (no script, an origin of its own). Not by the frame's `sandbox`
# attribute: Chromium then paints it in a process of its own, blank in headless screenshots.
FRAMED = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; frame-ancestors 'self'; sandbox",
    "x-frame-options": "SAMEORIGIN",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class Draft:
    """A report as sla-svc gave it: its figures, digest, as-of instant, and published or not."""

    figures: dict[str, Any]
    digest: str
    as_of: str
    published: bool


async def fetch(
    console: Console, tenant: str, year: int, published: bool, **params: Any
) -> httpx.Response:
    """The draft (with the user's token) or the published report (its public address)."""
    if published:
        path = PUBLIC_PATH.format(tenant=tenant, year=year)
        return await console.services.fetch(None, "sla", path, **params)
    path = "/reports/annual"
    return await console.services.fetch(
        console.token, "sla", path, tenant=tenant, year=year, **params
    )


async def report_of(console: Console, tenant: str, year: int) -> Draft:
    """The published report if there is one, else the draft as of now."""
    try:
        response = await fetch(console, tenant, year, True, format="json")
    except Refused as refused:
        if refused.status != 404:
            raise HTTPException(refused.status, refused.detail) from refused
        try:
            response = await fetch(console, tenant, year, False, format="json")
        except Refused as draft_refused:
            raise HTTPException(draft_refused.status, draft_refused.detail) from draft_refused
        return draft(response, published=False)
    return draft(response, published=True)


def draft(response: httpx.Response, published: bool) -> Draft:
    return Draft(
        figures=response.json(),
        digest=response.headers["x-report-digest"],
        as_of=response.headers["x-report-as-of"],
        published=published,
    )


def reader_tenant(console: Console, asked: str | None) -> str | None:
    require(console, REPORT_READERS, "the yearly report")
    return tenant_for(console, asked)


@router.get("/relazione-annuale", name="annual", response_class=HTMLResponse)
async def annual(
    console: ConsoleDep, anno: str | None = None, ente: str | None = None
) -> HTMLResponse:
    tenant = reader_tenant(console, ente)
    year = year_of(anno, this_year() - 1)
    report = await report_of(console, tenant, year) if tenant else None
    return console.render(
        "annual.html",
        tenant=console.tenants.get(tenant) if tenant else None,
        tenants=list(console.tenants),
        year=year,
        years=range(this_year(), this_year() - YEARS_BACK, -1),
        report=report,
        publishes=publishes_reports(console.user),
        ended=year < this_year(),
        public_url=public_url(console, tenant, year),
        just_published=console.request.query_params.get("pubblicata") == "1",
    )


def public_url(console: Console, tenant: str | None, year: int) -> str:
    base = console.settings.sla_public_url or console.settings.sla_url
    return f"{base.rstrip('/')}{PUBLIC_PATH.format(tenant=tenant, year=year)}" if tenant else ""


Document = Literal["html", "pdf", "csv"]


@router.get("/relazione-annuale/{year}/relazione.{kind}", name="annual_document")
async def document(
    year: int,
    kind: Document,
    console: ConsoleDep,
    as_of: str | None = None,
    ente: str | None = None,
    pubblicata: bool = False,
) -> Response:
    """The report's document: the draft as of the instant reviewed, or the published one."""
    tenant = reader_tenant(console, ente)
    if tenant is None:
        raise HTTPException(404, "choose a tenant")
    lang = language_of(console.request)
    try:
        response = await fetch(
            console, tenant, year, pubblicata, format=kind, lang=lang,
            as_of=None if pubblicata else as_of,
        )  # fmt: skip
    except Refused as refused:
        raise HTTPException(refused.status, refused.detail) from refused
    headers = {k: v for k, v in response.headers.items() if k.startswith("x-report-")}
    if kind == "html":
        return HTMLResponse(response.text, headers={**headers, **FRAMED})
    disposition = response.headers.get("content-disposition", "")
    media = response.headers.get("content-type", "application/octet-stream")
    return Response(
        response.content, media_type=media, headers={**headers, "content-disposition": disposition}
    )


def publisher_tenant(console: Console, asked: str | None) -> str:
    require(console, REPORT_PUBLISHERS, "publishing the yearly report")
    tenant = tenant_for(console, asked)
    if tenant is None:
        raise HTTPException(404, "choose a tenant")
    return tenant


@router.get("/relazione-annuale/{year}/pubblica", name="annual_confirm")
def confirm(
    year: int, console: ConsoleDep, as_of: str, digest: str, ente: str | None = None
) -> HTMLResponse:
    """Check before publishing: which year, which figures (as of when), which digest."""
    tenant = publisher_tenant(console, ente)
    return show_confirm(console, tenant, year, as_of, digest)


def show_confirm(
    console: Console,
    tenant: str,
    year: int,
    as_of: str,
    digest: str,
    refused: Refused | None = None,
) -> HTMLResponse:
    return console.render(
        "annual_publish.html",
        status=refused.status if refused else 200,
        tenant=console.tenants[tenant],
        year=year,
        as_of=as_of,
        digest=digest,
        refused=refused,
        ended=year < this_year(),
    )


@router.post("/relazione-annuale/{year}/pubblica", dependencies=[Depends(require_csrf)])
async def publish(
    year: int,
    console: ConsoleDep,
    as_of: str = Form(),
    digest: str = Form(),
    ente: str | None = Form(default=None),
) -> Response:
    tenant = publisher_tenant(console, ente)
    body = {"tenant": tenant, "year": year, "as_of": as_of, "digest": digest}
    try:
        await console.post("sla", "/reports/annual/publication", body)
    except Refused as refused:
        return show_confirm(console, tenant, year, as_of, digest, refused)
    suffix = f"&ente={tenant}" if console.user.tenant is None else ""
    return RedirectResponse(f"/relazione-annuale?anno={year}&pubblicata=1{suffix}", 303)
