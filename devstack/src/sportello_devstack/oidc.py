"""A development OpenID Connect provider for `make run` and the tests: demo users, nothing else.

Authorization code flow with PKCE (S256 required), tokens signed by the devstack issuer's key
(`DevIssuer`): the access token is the very bearer token the services accept, the ID token tells
the console who signed in. Demo users are made from deploy/tenants (see `demo_users`); every
password is `demo`. In production the console talks to the city's provider (Keycloak, say)
instead: see services/console-svc/README.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from html import escape
from typing import Annotated
from urllib.parse import unquote, urlencode

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from .demo_users import DEMO_PASSWORD, DemoUser
from .issuer import AUDIENCE, ISSUER, DevIssuer

CODE_TTL_SECONDS = 120
TOKEN_TTL_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...]
    post_logout_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grant:
    user: DemoUser
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    expires: float


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def create_provider(
    issuer: DevIssuer, users: list[DemoUser], clients: list[Client], base_url: str
) -> FastAPI:
    app = FastAPI(title="Sportello development OpenID provider", docs_url=None, redoc_url=None)
    known = {u.username: u for u in users}
    registered = {c.client_id: c for c in clients}
    grants: dict[str, Grant] = {}

    def client_for(client_id: str, redirect_uri: str) -> Client:
        client = registered.get(client_id)
        if client is None or redirect_uri not in client.redirect_uris:
            raise HTTPException(400, "unknown client or redirect_uri")
        return client

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, object]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{base_url}/authorize",
            "token_endpoint": f"{base_url}/token",
            "jwks_uri": f"{base_url}/jwks.json",
            "end_session_endpoint": f"{base_url}/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    @app.get("/jwks.json")
    def jwks() -> JSONResponse:
        return JSONResponse(json.loads(issuer.jwks_file.read_text(encoding="utf-8")))

    @app.get("/authorize", response_class=HTMLResponse)
    def login_page(request: Request) -> HTMLResponse:
        query = request.query_params
        client_for(query.get("client_id", ""), query.get("redirect_uri", ""))
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            raise HTTPException(400, "only the code flow with PKCE S256")
        return HTMLResponse(login_form(dict(query), users, error=None))

    @app.post("/authorize", response_model=None)
    def sign_in(
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        client_id: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        code_challenge: Annotated[str, Form()],
        state: Annotated[str, Form()] = "",
        nonce: Annotated[str, Form()] = "",
        scope: Annotated[str, Form()] = "openid",
    ) -> HTMLResponse | RedirectResponse:
        client_for(client_id, redirect_uri)
        user = known.get(username.strip())
        if user is None or not hmac.compare_digest(password, DEMO_PASSWORD):
            fields = {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
                "state": state,
                "nonce": nonce,
                "scope": scope,
                "response_type": "code",
            }
            return HTMLResponse(login_form(fields, users, error=username), status_code=401)
        code = secrets.token_urlsafe(32)
        grants[code] = Grant(
            user,
            client_id,
            redirect_uri,
            code_challenge,
            nonce or None,
            time.monotonic() + CODE_TTL_SECONDS,
        )
        return RedirectResponse(
            f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=303
        )

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        client_id, secret = client_credentials(request, form)
        client = registered.get(client_id)
        if client is None or not hmac.compare_digest(secret, client.secret):
            return oauth_error("invalid_client", 401)
        grant = grants.pop(str(form.get("code", "")), None)
        verifier = str(form.get("code_verifier", ""))
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.expires < time.monotonic()
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or not hmac.compare_digest(s256(verifier), grant.code_challenge)
        ):
            return oauth_error("invalid_grant", 400)
        return JSONResponse(tokens(issuer, grant))

    @app.get("/logout")
    def logout(post_logout_redirect_uri: str = "") -> RedirectResponse:
        allowed = {u for c in registered.values() for u in c.post_logout_uris}
        target = post_logout_redirect_uri if post_logout_redirect_uri in allowed else "/"
        return RedirectResponse(target or "/", status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def no_favicon() -> Response:
        return Response(status_code=204)

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        return "<!doctype html><title>Sportello OpenID</title><p>Development provider.</p>"

    return app


def tokens(issuer: DevIssuer, grant: Grant) -> dict[str, object]:
    user = grant.user
    access = issuer.token(
        user.role,
        user.tenant,
        user.organization,
        subject=user.username,
        ttl_seconds=TOKEN_TTL_SECONDS,
        extra=user.claims(),
    )
    now = int(time.time())
    id_claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": user.username,
        "aud": grant.client_id,
        "iat": now,
        "exp": now + TOKEN_TTL_SECONDS,
        "preferred_username": user.username,
        "roles": [user.role],
        **({"tenant": user.tenant} if user.tenant else {}),
        **({"organization": user.organization} if user.organization else {}),
        **user.claims(),
    }
    if grant.nonce:
        id_claims["nonce"] = grant.nonce
    return {
        "access_token": access,
        "id_token": issuer.sign(id_claims),
        "token_type": "Bearer",
        "expires_in": TOKEN_TTL_SECONDS,
        "scope": "openid profile",
        "audience": AUDIENCE,
    }


def client_credentials(request: Request, form: FormData) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        decoded = base64.b64decode(header[6:]).decode()
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return str(form.get("client_id", "")), str(form.get("client_secret", ""))


def oauth_error(code: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status)


def login_form(fields: dict[str, str], users: list[DemoUser], error: str | None) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in fields.items()
        if k != "username"
    )
    options = "".join(
        f"<li><code>{escape(u.username)}</code> — {escape(u.display_name)}</li>" for u in users
    )
    alert = (
        f'<p role="alert" id="login-error">Utente o password errati ({escape(error)}).</p>'
        if error is not None
        else ""
    )
    return f"""<!doctype html>
<html lang="it"><head><meta charset="utf-8"><title>Accesso · Sportello (sviluppo)</title></head>
<body><main>
<h1>Accesso (provider di sviluppo)</h1>{alert}
<form method="post" action="/authorize">{hidden}
<p><label for="username">Utente</label>
 <input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Password</label>
 <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Accedi</button></p></form>
<h2>Utenti dimostrativi (password: <code>{DEMO_PASSWORD}</code>)</h2><ul>{options}</ul>
</main></body></html>"""
