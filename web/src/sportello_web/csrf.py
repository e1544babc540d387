"""CSRF: a random token kept in the signed session, required on every unsafe request.

Forms carry it in a hidden `csrf_token` field (`{{ csrf_input() }}` in templates); htmx requests
in the `X-CSRF-Token` header (the layout sets `hx-headers` on <body>).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SESSION_KEY = "_csrf"


class CsrfRefused(HTTPException):
    def __init__(self) -> None:
        super().__init__(403, "csrf")


def csrf_token(request: Request) -> str:
    """This session's token, made on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


async def require_csrf(request: Request) -> None:
    """A FastAPI dependency for every POST route: 403 unless the token matches the session's."""
    expected = request.session.get(SESSION_KEY)
    offered = request.headers.get(HEADER)
    if offered is None:
        form = await request.form()  # cached by Starlette: the route's Form() fields still work
        value = form.get(FIELD)
        offered = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not offered or not hmac.compare_digest(expected, offered):
        raise CsrfRefused()
