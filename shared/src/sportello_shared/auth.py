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
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ALGORITHMS = ["RS256", "ES256"]


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
        except jwt.PyJWTError as exc:
            raise HTTPException(401, f"invalid token: {exc}") from exc
        try:
            roles = frozenset(Role(r) for r in claims.get("roles", []))
        except ValueError as exc:
            raise HTTPException(401, f"invalid token: {exc}") from exc
        principal = Principal(
            claims["sub"], roles, claims.get("tenant"), claims.get("organization")
        )
        _check_claims_fit_roles(principal)
        return principal

    def _key_for(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        kid = jwt.get_unverified_header(token).get("kid")
        if kid not in self._keys:
            raise jwt.InvalidKeyError(f"unknown key id {kid!r}")
        return self._keys[kid]


def _check_claims_fit_roles(principal: Principal) -> None:
    if not principal.roles:
        raise HTTPException(403, "the token grants no Sportello role")
    scoped = principal.roles - {Role.ADMIN, Role.AUDITOR}
    if scoped and principal.tenant is None:
        raise HTTPException(403, "the token's role needs a tenant claim")
    if scoped & {Role.OFFICE, Role.PARTNER} and principal.organization is None:
        raise HTTPException(403, "office and partner tokens need an organization claim")


bearer = HTTPBearer(auto_error=False)


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Every ops route depends on this. Without a configured issuer (development) all is open."""
    verifier: TokenVerifier | None = request.app.state.token_verifier
    if verifier is None:
        return ANONYMOUS_DEVELOPER
    if credentials is None:
        raise HTTPException(401, "a bearer token is required")
    principal = verifier.verify(credentials.credentials)
    if request.method not in ("GET", "HEAD") and principal.roles == {Role.AUDITOR}:
        raise HTTPException(403, "auditors read, they do not act")
    if request.url.path.startswith("/admin/") and not principal.is_admin:
        raise HTTPException(403, "admin only")
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
        raise HTTPException(403, f"{principal.subject} may not see {', '.join(sorted(asked))}")


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


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
        raise HTTPException(403, f"{principal.subject} may not see {organization}")
    return principal.tenant, principal.organization


def require_read(principal: Principal, tenant: str, organization: str | None) -> None:
    if not principal.may_read(tenant, organization):
        raise HTTPException(403, f"{principal.subject} may not see {tenant}/{organization}")


def require_act(principal: Principal, tenant: str, organization: str | None) -> None:
    if not principal.may_act(tenant, organization):
        raise HTTPException(403, f"{principal.subject} may not act on {tenant}/{organization}")
