"""Sportello's shared web layer, for every server-rendered site (staff console, citizens' site).

`install_web(app, settings, templates)` adds the signed session cookie, the security headers
(strict CSP), Bootstrap Italia and htmx from node_modules, the language switch and HTML error
pages; `make_templates` gives Jinja2 with the base layout `web/base.html`, Rome-time filters,
`_()` for messages and `csrf_input()` for forms; `require_csrf` guards every POST.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from .assets import mount_assets
from .csrf import CsrfRefused, csrf_token, require_csrf
from .i18n import Catalogue, language_of, language_router, safe_next
from .security import SecurityHeadersMiddleware
from .templating import make_templates

__all__ = [
    "Catalogue",
    "CsrfRefused",
    "WebSettings",
    "csrf_token",
    "install_web",
    "language_of",
    "make_templates",
    "render_error",
    "require_csrf",
    "safe_next",
]


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    session_cookie: str = "sportello_session"
    secure_cookies: bool = False  # True behind TLS: the cookies then travel over HTTPS only
    session_max_age: int = 8 * 3600
    form_action: tuple[str, ...] = ()  # other origins forms may lead to (an OIDC sign-out)


def install_web(app: FastAPI, settings: WebSettings, templates: Jinja2Templates) -> None:
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=settings.session_cookie,
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(
        SecurityHeadersMiddleware, hsts=settings.secure_cookies, form_action=settings.form_action
    )
    mount_assets(app)
    app.include_router(language_router(settings.secure_cookies))
    app.state.templates = templates

    @app.get("/favicon.ico", include_in_schema=False)
    def no_favicon() -> Response:
        return Response(status_code=204)

    @app.exception_handler(StarletteHTTPException)
    async def html_error(request: Request, exc: StarletteHTTPException) -> Response:
        return render_error(templates, request, exc.status_code, exc.detail, exc.headers)


def render_error(
    templates: Jinja2Templates,
    request: Request,
    status: int,
    detail: object = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The error page: what went wrong in the reader's language, the service's detail if any."""
    key = "error.csrf" if detail == "csrf" else f"error.{status}"
    shown = detail if isinstance(detail, str) and detail != "csrf" else None
    return templates.TemplateResponse(
        request,
        "web/error.html",
        {"status": status, "message_key": key, "detail": shown},
        status_code=status,
        headers=dict(headers) if headers else None,
    )
