"""The console's settings, from the environment (ServiceSettings' plus the web and OIDC ones)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from sportello_shared.settings import ServiceSettings, _env


class ConsoleSettings(ServiceSettings):
    service_name: str = "console"
    http_port: int = 8000
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        validation_alias=_env("CONSOLE_PUBLIC_URL"),
        description="the console's address as browsers see it (https://… in production)",
    )
    intake_url: str = Field(default="http://127.0.0.1:8001", validation_alias=_env("INTAKE_URL"))
    routing_url: str = Field(default="http://127.0.0.1:8002", validation_alias=_env("ROUTING_URL"))
    sla_url: str = Field(default="http://127.0.0.1:8003", validation_alias=_env("SLA_URL"))
    notify_url: str = Field(default="http://127.0.0.1:8004", validation_alias=_env("NOTIFY_URL"))
    sla_public_url: str | None = Field(
        default=None,
        validation_alias=_env("SLA_PUBLIC_URL"),
        description="sla-svc's public reports as citizens reach them (default: SLA_URL)",
    )
    oidc_discovery_url: str = Field(
        default="http://127.0.0.1:8006/.well-known/openid-configuration",
        validation_alias=_env("OIDC_DISCOVERY_URL"),
    )
    oidc_client_id: str = Field(
        default="sportello-console", validation_alias=_env("OIDC_CLIENT_ID")
    )
    oidc_client_secret: SecretStr = Field(
        default=SecretStr("console-dev-secret"), validation_alias=_env("OIDC_CLIENT_SECRET")
    )
    session_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        validation_alias=_env("CONSOLE_SESSION_SECRET"),
        description="signs the session cookie; set it when several replicas serve the console",
    )
    durable: str = Field(
        default="console",
        validation_alias=_env("CONSOLE_DURABLE"),
        description="this replica's durable consumers: one per replica, each keeps its model",
    )
    service_timeout: float = Field(default=10.0, validation_alias=_env("CONSOLE_SERVICE_TIMEOUT"))
    document_timeout: float = Field(
        default=60.0,
        validation_alias=_env("CONSOLE_DOCUMENT_TIMEOUT"),
        description="a rendered document (the yearly report's PDF) may take longer than a call",
    )

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def oidc_origin(self) -> str:
        """The identity provider's origin (sign-out leaves the console for it)."""
        parts = urlsplit(self.oidc_discovery_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}/auth/callback"
