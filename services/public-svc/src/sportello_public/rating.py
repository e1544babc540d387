"""Designers Italia's rating: 1-5 stars, then what went well or wrong and a comment; once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sportello_shared.tenants import Tenant
from sportello_web import require_csrf

from .messages import NEGATIVE_REASONS, POSITIVE_REASONS
from .services import NotFound, Refused, ServiceUnavailable
from .site import Site, SiteDep, TenantDep

router = APIRouter()
CSRF = [Depends(require_csrf)]
STATE_MESSAGE = {"answered": "rating.answered", "expired": "rating.expired"}


def _rating(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text in {"1", "2", "3", "4", "5"} else None


def _reasons_for(rating: int) -> tuple[str, ...]:
    return POSITIVE_REASONS if rating >= 4 else NEGATIVE_REASONS


async def _open_survey(request: Request, tenant: Tenant, token: str, site: Site) -> Any:
    """None if the survey can be answered, else the page that says why not."""
    try:
        state = await site.services.survey(token)
    except (NotFound, Refused):
        return site.message(request, tenant, "rating.unknown", 404)
    except ServiceUnavailable:
        return site.message(request, tenant, "error.unavailable", 503)
    if state["tenant"] != tenant.id:
        return site.message(request, tenant, "rating.unknown", 404)
    if state["state"] in STATE_MESSAGE:
        status = 410 if state["state"] == "expired" else 200
        context = {"tenant": tenant, "key": STATE_MESSAGE[state["state"]]}
        return site.page(request, "message.html", context, status)
    return None


@router.get("/{tenant}/valutazione/{token}", response_class=HTMLResponse)
async def stars(request: Request, tenant: TenantDep, token: str, site: SiteDep) -> HTMLResponse:
    closed = await _open_survey(request, tenant, token, site)
    if closed is not None:
        return closed  # type: ignore[no-any-return]
    context = {"tenant": tenant, "token": token, "error": None}
    return site.page(request, "rating.html", context)


@router.post("/{tenant}/valutazione/{token}", dependencies=CSRF, response_class=HTMLResponse)
async def follow_up(request: Request, tenant: TenantDep, token: str, site: SiteDep) -> HTMLResponse:
    rating = _rating((await request.form()).get("rating"))
    if rating is None:
        context = {"tenant": tenant, "token": token, "error": "rating.choose"}
        return site.page(request, "rating.html", context, 422)
    context = {"tenant": tenant, "token": token, "rating": rating, "reasons": _reasons_for(rating)}
    return site.page(request, "rating_follow_up.html", context)


@router.post("/{tenant}/valutazione/{token}/invia", dependencies=CSRF, response_class=HTMLResponse)
async def answer(request: Request, tenant: TenantDep, token: str, site: SiteDep) -> HTMLResponse:
    form = await request.form()
    rating = _rating(form.get("rating"))
    if rating is None:
        context = {"tenant": tenant, "token": token, "error": "rating.choose"}
        return site.page(request, "rating.html", context, 422)
    allowed = _reasons_for(rating)
    reasons = [str(r) for r in form.getlist("reason") if str(r) in allowed]
    comment = str(form.get("comment", "")).strip()[:2000] or None
    body = {"rating": rating, "comment": comment, "reasons": reasons}
    try:
        await site.services.answer(token, body)
    except Refused as refused:
        key = {409: "rating.answered", 410: "rating.expired"}.get(refused.status, "rating.unknown")
        return site.page(request, "message.html", {"tenant": tenant, "key": key}, refused.status)
    except NotFound:
        return site.message(request, tenant, "rating.unknown", 404)
    except ServiceUnavailable:
        return site.message(request, tenant, "error.unavailable", 503)
    return site.message(request, tenant, "rating.thanks")
