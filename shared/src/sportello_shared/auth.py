"""Who is calling an ops API: OIDC bearer JWTs checked against the issuer's JWKS.

Roles: operator (a tenant's contact centre), office and partner (one organization of a tenant),
admin (everything), auditor (reads everything, changes nothing). Tokens carry `roles`, `tenant`
and, for office/partner, `organization`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import jwt
import structlog
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.concurrency import run_in_threadpool

from .problems import Refusal

ALGORITHMS = ["RS256", "ES256"]
log = structlog.get_logger(__name__)


class Role(StrEnum):
    OPERATOR = "operator"
    OFFICE = "office"
    PARTNER = "partner"
    ADMIN = "admin"
    AUDITOR = "auditor"


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", env_ignore_empty=True, extra="ignore")

    issuer: str = "sportello-dev"
    audience: str = "sportello"
    jwks_url: str | None = None
    jwks_file: Path | None = None
    leeway_seconds: int = Field(default=30, ge=0, le=300)

    @property
    def enabled(self) -> bool:
        return bool(self.jwks_url or self.jwks_file)


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    tenant: str | None
    organization: str | None
    operator_code: str | None = None  # how Torino's Contact Center operators identify themselves

    @property
    def actor(self) -> str:
        """Who did it, as a case's history records it: the subject, with the operator code."""
        return f"{self.subject} ({self.operator_code})" if self.operator_code else self.subject

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def may_read(self, tenant: str, organization: str | None) -> bool:
        if self.roles & {Role.ADMIN, Role.AUDITOR}:
            return True
        if self.tenant != tenant:
            return False
        if self.roles & {Role.OPERATOR}:
            return True
        return organization is not None and organization == self.organization

    def may_act(self, tenant: str, organization: str | None) -> bool:
        if self.roles == {Role.AUDITOR}:
            return False
        return self.may_read(tenant, organization)


ANONYMOUS_DEVELOPER = Principal("developer", frozenset({Role.ADMIN}), None, None)


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._client = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._keys: dict[str, Any] = {}
        if settings.jwks_file is not None:
            jwks = json.loads(settings.jwks_file.read_text(encoding="utf-8"))
            self._keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"]}

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=ALGORITHMS,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Refusal(401, it="token scaduto: ne chieda uno nuovo", en="token expired") from exc
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            # the codec's own words (padding, segments, key ids) are for the log, not the caller
            log.info("auth.invalid_token", error=str(exc))
            raise Refusal(401, it="token non valido", en="invalid token") from exc
        try:
            roles = frozenset(Role(r) for r in claims.get("roles", []))
        except ValueError as exc:
            log.info("auth.unknown_role", error=str(exc))
            raise Refusal(401, it="token non valido", en="invalid token") from exc
        code = claims.get("operator_code")
        principal = Principal(
            claims["sub"],
            roles,
            claims.get("tenant"),
            claims.get("organization"),
            str(code)[:40] if code else None,
        )
        _check_claims_fit_roles(principal)
        return principal

    async def verify_off_the_loop(self, token: str) -> Principal:
        """`verify`, in the thread pool when the keys come from the issuer's JWKS address (the
        client may fetch them); with keys from a file, nothing blocks."""
        if self._client is None:
            return self.verify(token)
        return await run_in_threadpool(self.verify, token)

    def _key_for(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        kid = jwt.get_unverified_header(token).get("kid")
        if kid not in self._keys:
            raise jwt.InvalidKeyError(f"unknown key id {kid!r}")
        return self._keys[kid]


def _check_claims_fit_roles(principal: Principal) -> None:
    if not principal.roles:
        raise Refusal(
            403,
            it="il token non assegna alcun ruolo di Sportello",
            en="the token grants no Sportello role",
        )
    scoped = principal.roles - {Role.ADMIN, Role.AUDITOR}
    if scoped and principal.tenant is None:
        raise Refusal(
            403,
            it="il ruolo del token richiede un ente (claim tenant)",
            en="the token's role needs a tenant claim",
        )
    if scoped & {Role.OFFICE, Role.PARTNER} and principal.organization is None:
        raise Refusal(
            403,
            it="i token di ufficio e partner richiedono un'organizzazione (claim organization)",
            en="office and partner tokens need an organization claim",
        )


bearer = HTTPBearer(auto_error=False)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Every ops route depends on this. Without a configured issuer (development) all is open.

    On the event loop (no thread hop per request); a verifier that may fetch the issuer's keys
    over the network does its work in the thread pool."""
    verifier: TokenVerifier | None = request.app.state.token_verifier
    if verifier is None:
        return ANONYMOUS_DEVELOPER
    if credentials is None:
        raise Refusal(
            401, it="serve un token (Authorization: Bearer ...)", en="a bearer token is required"
        )
    principal = await verifier.verify_off_the_loop(credentials.credentials)
    if request.method not in ("GET", "HEAD") and principal.roles == {Role.AUDITOR}:
        raise Refusal(
            403,
            it="il ruolo auditor consente solo la lettura",
            en="auditors read, they do not act",
        )
    if request.url.path.startswith("/admin/") and not principal.is_admin:
        raise Refusal(403, it="operazione riservata agli amministratori", en="admin only")
    _check_requested_tenant(request, principal)
    request.state.principal = principal
    return principal


def _check_requested_tenant(request: Request, principal: Principal) -> None:
    """A `tenant` in the path or the query of any ops route must be the token's own tenant."""
    if principal.roles & {Role.ADMIN, Role.AUDITOR}:
        return
    in_path = request.path_params.get("tenant")
    asked: set[str] = {t for t in (in_path, *request.query_params.getlist("tenant")) if t}
    if asked - {principal.tenant}:
        raise denied(principal, ", ".join(sorted(asked)), None, acting=False)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


async def acting_subject(principal: CurrentPrincipal) -> str:
    """Who acts, for the audit: the authenticated principal's subject, in every service.

    A request field (`actor`, `operator`) may say more about the command, never who did it;
    without a configured issuer (development) everyone is `developer`. Torino's operators
    are recorded with their operator code (the token's `operator_code` claim).
    """
    return principal.actor


Actor = Annotated[str, Depends(acting_subject)]
"""Every command handler takes its actor from here, never from the body or the query."""

ACTOR_NOTE = "ignored for the audit: who acted is always the token's subject"


def claimed_actor(
    actor: Annotated[str | None, Query(max_length=200, description=ACTOR_NOTE)] = None,
) -> str | None:
    """The `actor` older clients still put in the query: accepted (not an unknown parameter),
    never who acted. Routes that took it declare `dependencies=[Depends(claimed_actor)]`."""
    return actor


def visible_scope(
    principal: Principal, tenant: str | None, organization: str | None
) -> tuple[str | None, str | None]:
    """The (tenant, organization) a listing may show the principal, given what it asked for
    (None = any): its own tenant unless admin or auditor, its own organization if it is one."""
    if principal.roles & {Role.ADMIN, Role.AUDITOR}:
        return tenant, organization
    if principal.roles & {Role.OPERATOR}:
        return principal.tenant, organization
    if organization not in (None, principal.organization):
        raise denied(principal, principal.tenant or "", organization, acting=False)
    return principal.tenant, principal.organization


def require_read(principal: Principal, tenant: str, organization: str | None) -> None:
    if not principal.may_read(tenant, organization):
        raise denied(principal, tenant, organization, acting=False)


def require_act(principal: Principal, tenant: str, organization: str | None) -> None:
    if not principal.may_act(tenant, organization):
        raise denied(principal, tenant, organization, acting=True)


def denied(principal: Principal, tenant: str, organization: str | None, *, acting: bool) -> Refusal:
    """A 403 that says which tenant or organization the token lacks, and what it has."""
    scope = f"{tenant}/{organization}" if organization else tenant
    has = principal.tenant or "-"
    if principal.organization:
        has += f"/{principal.organization}"
    verb_it, verb_en = ("operare su", "act on") if acting else ("vedere", "see")
    return Refusal(
        403,
        it=f"il token ({principal.subject}, ente {has}) non consente di {verb_it} {scope}",
        en=f"the token ({principal.subject}, for {has}) may not {verb_en} {scope}",
        tenant=tenant,
        organization=organization,
    )
