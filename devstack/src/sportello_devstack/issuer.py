"""A local OIDC-style token issuer for the embedded default: keys made at first run."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "sportello-dev"
AUDIENCE = "sportello"


class DevIssuer:
    """ES256 keys under `directory`: `signing-key.pem` (0600) and the public `jwks.json`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key_file = directory / "signing-key.pem"
        self.jwks_file = directory / "jwks.json"
        if not self.key_file.exists():
            self._make_keys()

    def _make_keys(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        public |= {"kid": uuid.uuid4().hex[:16], "use": "sig", "alg": "ES256"}
        self.jwks_file.write_text(json.dumps({"keys": [public]}, indent=2), encoding="utf-8")

    def token(
        self,
        role: str,
        tenant: str | None = None,
        organization: str | None = None,
        subject: str | None = None,
        ttl_seconds: int = 8 * 3600,
        extra: dict[str, object] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or f"{role}@{tenant or 'sportello'}",
            "iat": now,
            "exp": now + ttl_seconds,
            "roles": [role],
        }
        if tenant:
            claims["tenant"] = tenant
        if organization:
            claims["organization"] = organization
        return self.sign(claims | (extra or {}))

    def sign(self, claims: dict[str, object]) -> str:
        """Any claims (an OpenID Connect ID token, say) signed with the same key."""
        kid = json.loads(self.jwks_file.read_text(encoding="utf-8"))["keys"][0]["kid"]
        return jwt.encode(
            claims, self.key_file.read_bytes(), algorithm="ES256", headers={"kid": kid}
        )

    def env(self) -> dict[str, str]:
        return {
            "AUTH_JWKS_FILE": str(self.jwks_file),
            "AUTH_ISSUER": ISSUER,
            "AUTH_AUDIENCE": AUDIENCE,
        }
