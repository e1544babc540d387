"""The case's status page (by follow token), and finding it by reference *and* e-mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sportello_shared.tenants import Tenant
from sportello_web import require_csrf

from .services import NotFound, Refused, ServiceUnavailable
from .site import Site, SiteDep, TenantDep

REASON_MIN, REASON_MAX = 10, 2000

router = APIRouter()


@router.get("/{tenant}/segnalazioni/{token}", response_class=HTMLResponse)
async def status_page(
    request: Request, tenant: TenantDep, token: str, site: SiteDep, nuova: str = ""
) -> HTMLResponse:
    try:
        case = await site.services.follow(tenant.id, token)
    except (NotFound, Refused):
        return site.message(request, tenant, "follow.unknown", 404, more="follow.unknown.more")
    except ServiceUnavailable:
        return site.message(request, tenant, "error.unavailable", 503)
    return _status(request, tenant, token, site, case, new=bool(nuova))


@router.get("/{tenant}/segnalazioni/{broken:path}", response_class=HTMLResponse)
async def broken_link(
    request: Request,
    tenant: TenantDep,
    broken: str,  # noqa: ARG001 - the path parameter the route matches, not used
    site: SiteDep,
) -> HTMLResponse:
    """A follow link cut or pasted with more after it (a '/' in it): the same clear page."""
    return site.message(request, tenant, "follow.unknown", 404, more="follow.unknown.more")


def _status(
    request: Request,
    tenant: Tenant,
    token: str,
    site: Site,
    case: dict[str, Any],
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    until = case.get("reopen_until")
    can_reopen = (
        case["status"] == "closed"
        and not case["reopen_requested"]
        and until is not None
        and datetime.fromisoformat(until) > site.now()
    )
    context = {
        "tenant": tenant,
        "case": case,
        "token": token,
        "link": f"{site.base_url}/{tenant.id}/segnalazioni/{token}",
        "can_reopen": can_reopen,
        "reason": "",
        "reopen_error": None,
        "new": False,
        **extra,
    }
    return site.page(request, "follow.html", context, status)


@router.post("/{tenant}/segnalazioni/{token}/riapertura", dependencies=[Depends(require_csrf)])
async def ask_to_reopen(request: Request, tenant: TenantDep, token: str, site: SiteDep) -> Response:
    reason = str((await request.form()).get("reason", "")).strip()
    try:
        if len(reason) < REASON_MIN or len(reason) > REASON_MAX:
            case = await site.services.follow(tenant.id, token)
            return _status(
                request,
                tenant,
                token,
                site,
                case,
                422,
                reason=reason,
                reopen_error="reopen.too_short",
            )
        await site.services.ask_to_reopen(tenant.id, token, reason)
    except NotFound:
        return site.message(request, tenant, "follow.unknown", 404, more="follow.unknown.more")
    except Refused:
        return site.message(request, tenant, "reopen.refused", 409)
    except ServiceUnavailable:
        return site.message(request, tenant, "error.unavailable", 503)
    return RedirectResponse(f"/{tenant.id}/segnalazioni/{token}", 303)


@router.get("/{tenant}/segnalazioni", response_class=HTMLResponse)
async def lookup_form(request: Request, tenant: TenantDep, site: SiteDep) -> HTMLResponse:
    context = {"tenant": tenant, "reference": "", "email": "", "no_match": False}
    return site.page(request, "lookup.html", context)


@router.post("/{tenant}/segnalazioni", dependencies=[Depends(require_csrf)])
async def lookup(request: Request, tenant: TenantDep, site: SiteDep) -> Response:
    form = await request.form()
    reference = str(form.get("reference", "")).strip()[:40]
    email = str(form.get("email", "")).strip()[:254]
    try:
        found = await site.services.lookup(tenant.id, reference, email)
    except (NotFound, Refused):
        context = {"tenant": tenant, "reference": reference, "email": email, "no_match": True}
        return site.page(request, "lookup.html", context, 404)
    except ServiceUnavailable:
        return site.message(request, tenant, "error.unavailable", 503)
    return RedirectResponse(f"/{tenant.id}/segnalazioni/{found['follow_token']}", 303)
