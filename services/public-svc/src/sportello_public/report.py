"""Segnala un disservizio: privacy (1), the report (2), summary (3), then the e-mail link.

Every step is a plain form that posts what was typed so far; a refusal re-renders the same step
with an error summary linking to each field, and everything typed is still there.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sportello_shared.public_site import CONFIRM_PATH
from sportello_shared.tenants import Tenant
from sportello_web import language_of, require_csrf

from .forms import ReportForm
from .mail import send_confirmation
from .services import NotFound, Refused, ServiceUnavailable
from .site import Site, SiteDep, TenantDep
from .submissions import ConfirmationExpired, SubmissionNotFound

router = APIRouter()
CSRF = [Depends(require_csrf)]
HONEYPOT = "website"


def _context(tenant: Tenant, form: ReportForm, **extra: Any) -> dict[str, Any]:
    return {"tenant": tenant, "form": form.values(), "errors": {}, **extra}


@router.get("/{tenant}/segnala", response_class=HTMLResponse)
async def privacy(request: Request, tenant: TenantDep, site: SiteDep) -> HTMLResponse:
    return site.page(request, "report_privacy.html", _context(tenant, ReportForm()))


@router.post("/{tenant}/segnala/dati", dependencies=CSRF, response_class=HTMLResponse)
async def details(request: Request, tenant: TenantDep, site: SiteDep) -> HTMLResponse:
    form = ReportForm.of(dict(await request.form()))
    if form.privacy != "yes":
        errors = {"privacy": "error.privacy"}
        return site.page(request, "report_privacy.html", _context(tenant, form, errors=errors), 422)
    return site.page(request, "report_details.html", _context(tenant, form))


@router.post("/{tenant}/segnala/riepilogo", dependencies=CSRF, response_class=HTMLResponse)
async def summary(request: Request, tenant: TenantDep, site: SiteDep) -> HTMLResponse:
    form = ReportForm.of(dict(await request.form()))
    errors = form.errors(tenant)
    if errors:
        template = "report_privacy.html" if set(errors) == {"privacy"} else "report_details.html"
        return site.page(request, template, _context(tenant, form, errors=errors), 422)
    return site.page(request, "report_summary.html", _summary_context(tenant, form))


def _summary_context(tenant: Tenant, form: ReportForm, **extra: Any) -> dict[str, Any]:
    category = tenant.category(form.category)
    return _context(tenant, form, category_name=category.name if category else "", **extra)


@router.post("/{tenant}/segnala/invia", dependencies=CSRF, response_class=HTMLResponse)
async def send(request: Request, tenant: TenantDep, site: SiteDep) -> HTMLResponse:
    fields = dict(await request.form())
    form = ReportForm.of(fields)
    errors = form.errors(tenant)
    if errors:
        return site.page(request, "report_details.html", _context(tenant, form, errors=errors), 422)
    refusal = _refusal(request, site, form, str(fields.get(HONEYPOT, "")))
    if refusal:
        context = _summary_context(tenant, form, refusal=refusal)
        return site.page(request, "report_summary.html", context, 429 if "rate" in refusal else 422)
    token = secrets.token_urlsafe(32)
    lang = language_of(request)
    report = form.report(secrets.token_urlsafe(16), lang)
    await site.store(site.app.draft, token, tenant.id, report["submission_id"], report, site.now())
    link = site.base_url + CONFIRM_PATH.format(tenant=tenant.id, token=token)
    try:
        await send_confirmation(site.smtp, form.email, form.name, lang, tenant.name, link)
    except OSError:
        context = _summary_context(tenant, form, refusal="error.unavailable")
        return site.page(request, "report_summary.html", context, 503)
    return site.page(request, "report_sent.html", {"tenant": tenant, "email": form.email})


def _refusal(request: Request, site: Site, form: ReportForm, honeypot: str) -> str | None:
    if honeypot:
        return "error.honeypot"
    client = request.client.host if request.client else "unknown"
    if not site.per_client.allow(client) or not site.per_email.allow(form.email.lower()):
        return "error.rate"
    return None


@router.get("/{tenant}/segnala/conferma/{token}", response_class=HTMLResponse)
async def confirmation(request: Request, tenant: TenantDep, token: str, site: SiteDep) -> Response:
    try:
        submission = await site.store(site.app.submission, token, tenant.id)
        submission.check_confirmable(site.now())
    except SubmissionNotFound:
        return site.message(request, tenant, "confirm.unknown", 404)
    except ConfirmationExpired:
        return site.message(request, tenant, "confirm.expired", 410)
    if submission.registered:
        return _to_follow(tenant.id, submission.follow_token)
    context = {"tenant": tenant, "token": token, "title": submission.report["title"]}
    return site.page(request, "report_confirm.html", context)


@router.post("/{tenant}/segnala/conferma/{token}", dependencies=CSRF)
async def confirm(request: Request, tenant: TenantDep, token: str, site: SiteDep) -> Response:
    try:
        submission = await site.store(site.app.submission, token, tenant.id)
        submission.check_confirmable(site.now())
    except SubmissionNotFound:
        return site.message(request, tenant, "confirm.unknown", 404)
    except ConfirmationExpired:
        return site.message(request, tenant, "confirm.expired", 410)
    if not submission.registered:
        try:
            ack = await site.services.report(tenant.id, submission.report)
        except (ServiceUnavailable, NotFound, Refused):
            return site.message(request, tenant, "error.unavailable", 503)
        await site.store(
            site.app.record_registration,
            token,
            tenant.id,
            ack["reference"],
            ack["follow_token"],
            site.now(),
        )
        return _to_follow(tenant.id, ack["follow_token"], new=True)
    return _to_follow(tenant.id, submission.follow_token)


def _to_follow(tenant: str, follow_token: str | None, new: bool = False) -> RedirectResponse:
    suffix = "?nuova=1" if new else ""
    return RedirectResponse(f"/{tenant}/segnalazioni/{follow_token}{suffix}", status_code=303)
