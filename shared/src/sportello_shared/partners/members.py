"""Who may use the bus from outside (deploy/nats/partners.yaml): partners and platforms, per
tenant, their accounts, users and subjects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sportello_contracts.envelope import SLUG
from sportello_contracts.personal import SERVICE_REQUESTERS
from sportello_contracts.subjects import CASES_STREAM, ingest_subject, personal_subject

NATS_DIR = Path("deploy/nats")
PARTNERS_FILE = "partners.yaml"
ACCOUNTS_FILE = "accounts.conf"
SERVER_FILE = "sportello.conf"
CORE_ACCOUNT = "SPORTELLO"
SERVICES_USER = "sportello"
PASSWORD_PREFIX = "SPORTELLO_NATS_PASSWORD_"
SERVICES_PASSWORD = f"{PASSWORD_PREFIX}SERVICES"
# Long enough for a partner's longest pull request: replies to an imported service request are
# routed back only while the request is younger than this.
RESPONSE_THRESHOLD = "5m"
# Where a partner's client finds Sportello's JetStream API (nats.js `apiPrefix`, nats-py `prefix`).
API_PREFIX = "JS.SPORTELLO.API"
CONSUMER_ACK_WAIT_SECONDS = 30.0
CONSUMER_MAX_ACK_PENDING = 1000


class TenantIntegrations(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    partners: tuple[str, ...] = Field(default=(), description="organizations handling cases")
    platforms: tuple[str, ...] = Field(default=(), description="sources publishing new cases")


class Integrations(BaseModel):
    """deploy/nats/partners.yaml: who may use the bus from outside, per tenant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenants: dict[str, TenantIntegrations]

    def partners(self) -> list[Partner]:
        return [Partner(t, name) for t, spec in self.tenants.items() for name in spec.partners]

    def platforms(self) -> list[Platform]:
        return [Platform(t, name) for t, spec in self.tenants.items() for name in spec.platforms]

    def members(self) -> list[Partner | Platform]:
        return [*self.partners(), *self.platforms()]

    def find(self, tenant: str, name: str) -> Partner | Platform:
        for member in self.members():
            if (member.tenant, member.name) == (tenant, name):
                return member
        raise LookupError(f"{name!r} is neither a partner nor a platform of {tenant!r}")


@dataclass(frozen=True)
class Import:
    """A subject of the core account that one member account may use, under `local` there.

    The JetStream API is imported under `API_PREFIX`, not as `$JS.API`: the server itself answers
    `$JS.API` requests in an account without JetStream ("not enabled"), racing the import.
    """

    subject: str
    local: str | None = None
    response_type: str | None = None

    @classmethod
    def api(cls, suffix: str, response_type: str | None = None) -> Import:
        return cls(f"$JS.API.{suffix}", f"{API_PREFIX}.{suffix}", response_type)

    @property
    def local_subject(self) -> str:
        return self.local or self.subject


@dataclass(frozen=True)
class Partner:
    """A company that handles cases: reads its own cases, reports their progress."""

    tenant: str
    name: str
    role = "partner"

    @property
    def account(self) -> str:
        return _account_name(self.role, self.tenant, self.name)

    @property
    def user(self) -> str:
        return f"{self.role}-{self.tenant}-{self.name}"

    @property
    def password_variable(self) -> str:
        return PASSWORD_PREFIX + self.account

    @property
    def ingest_subject(self) -> str:
        """Where its own system publishes `case.status_reported` (the subject names the sender)."""
        return ingest_subject(self.tenant, self.name)

    @property
    def personal_subject(self) -> str:
        """Where it asks intake for the dossier of a case it handles (the subject names it)."""
        return personal_subject(self.tenant, self.name)

    @property
    def consumer(self) -> str:
        return f"partner-{self.tenant}-{self.name}"

    @property
    def filter_subject(self) -> str:
        return f"cases.{self.tenant}.{self.name}.>"

    def imported_services(self) -> list[Import]:
        """What the core account exports to this partner alone."""
        consumer_api = f"CONSUMER.%s.{CASES_STREAM}.{self.consumer}"
        return [
            # A pull request is answered by many messages: `stream`, not `singleton`.
            Import.api(consumer_api % "MSG.NEXT", response_type="stream"),
            Import.api(consumer_api % "INFO"),
            Import(f"$JS.ACK.{CASES_STREAM}.{self.consumer}.>"),
            Import(self.ingest_subject),
            # request/reply: intake answers the dossier of the cases it handles now
            Import(self.personal_subject),
        ]


@dataclass(frozen=True)
class Platform:
    """Another municipal system: may only publish new cases on its own ingest subject."""

    tenant: str
    name: str
    role = "platform"

    @property
    def account(self) -> str:
        return _account_name(self.role, self.tenant, self.name)

    @property
    def user(self) -> str:
        return f"{self.role}-{self.tenant}-{self.name}"

    @property
    def password_variable(self) -> str:
        return PASSWORD_PREFIX + self.account

    @property
    def ingest_subject(self) -> str:
        return ingest_subject(self.tenant, self.name)

    def imported_services(self) -> list[Import]:
        return [Import(self.ingest_subject)]


def _account_name(role: str, tenant: str, name: str) -> str:
    # Slugs have no underscore, so `-` → `_` cannot make two accounts collide.
    return f"{role}_{tenant}_{name}".upper().replace("-", "_")


def load_integrations(nats_dir: Path = NATS_DIR) -> Integrations:
    raw = yaml.safe_load((nats_dir / PARTNERS_FILE).read_text(encoding="utf-8"))
    integrations = Integrations.model_validate(raw)
    _check_names(integrations)
    return integrations


def _check_names(integrations: Integrations) -> None:
    seen: set[tuple[str, str]] = set()
    for member in integrations.members():
        for token in (member.tenant, member.name):
            if not re.fullmatch(SLUG, token):
                raise ValueError(f"{token!r} is not a valid name (lowercase, digits, '-')")
        if isinstance(member, Partner) and member.name in SERVICE_REQUESTERS:
            # personal.<tenant>.<name> would be the service's identity
            raise ValueError(f"{member.name!r} is the name of a service, not of a partner")
        key = (member.tenant, member.name)
        if key in seen:
            # A partner and a platform with one name would share an ingest subject.
            raise ValueError(f"{member.name!r} is listed twice for {member.tenant!r}")
        seen.add(key)
