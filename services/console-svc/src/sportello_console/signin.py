"""Sign-in: OpenID Connect authorization code flow with PKCE (Authlib), session, sign-out.

The session (signed, HttpOnly, SameSite=Lax, Secure behind TLS) keeps the user's claims and
access token; every call to the services carries that token.
"""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import urlencode

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sportello_web import require_csrf, safe_next

from .identity import StaffUser
from .settings import ConsoleSettings

SESSION_USER = "user"
SESSION_TOKEN = "access_token"
SESSION_EXPIRES = "expires_at"
SESSION_NEXT = "next"


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def make_oauth(settings: ConsoleSettings) -> OAuth:
    oauth = OAuth()
    oauth.register(
        "city",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        server_metadata_url=settings.oidc_discovery_url,
        client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},
    )
    return oauth


def current_user(request: Request) -> StaffUser:
    """Every page depends on this: the signed-in user, else off to sign in (and back)."""
    data = request.session.get(SESSION_USER)
    expires = request.session.get(SESSION_EXPIRES, 0)
    if (
        not isinstance(data, dict)
        or not request.session.get(SESSION_TOKEN)
        or expires < time.time()
    ):
        request.session.clear()
        raise SignInRequired(request.url.path if request.method == "GET" else "/")
    return StaffUser(**data)


def access_token(request: Request) -> str:
    token = request.session.get(SESSION_TOKEN)
    if not isinstance(token, str):
        raise SignInRequired("/")
    return token


CurrentUser = Annotated[StaffUser, Depends(current_user)]


def signin_router(settings: ConsoleSettings, oauth: OAuth) -> APIRouter:
    router = APIRouter()
    client: Any = oauth.create_client("city")

    @router.get("/accedi", name="sign_in")
    async def sign_in(request: Request, next: str = "/") -> Response:
        request.session[SESSION_NEXT] = safe_next(next)
        result: Response = await client.authorize_redirect(request, settings.redirect_uri)
        return result

    @router.get("/auth/callback", name="auth_callback")
    async def callback(request: Request) -> Response:
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as exc:
            raise HTTPException(401, f"sign-in failed: {exc.error}") from exc
        claims = token.get("userinfo") or {}
        user = StaffUser.from_claims(claims)
        if not user.role:
            raise HTTPException(403, "this account has no Sportello role")
        next_path = safe_next(request.session.get(SESSION_NEXT))
        request.session.clear()  # a fresh session at sign-in: no fixation
        request.session[SESSION_USER] = user.to_session()
        request.session[SESSION_TOKEN] = token["access_token"]
        request.session[SESSION_EXPIRES] = int(token.get("expires_at") or time.time() + 3600)
        return RedirectResponse(next_path, status_code=303)

    @router.post("/esci", name="sign_out", dependencies=[Depends(require_csrf)])
    async def sign_out(request: Request) -> Response:
        request.session.clear()
        metadata = await client.load_server_metadata()
        end = metadata.get("end_session_endpoint")
        if not end:
            return RedirectResponse("/uscito", status_code=303)
        query = urlencode(
            {
                "client_id": settings.oidc_client_id,
                "post_logout_redirect_uri": f"{settings.public_url.rstrip('/')}/uscito",
            }
        )
        return RedirectResponse(f"{end}?{query}", status_code=303)

    return router
