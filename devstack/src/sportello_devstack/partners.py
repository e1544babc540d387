"""Partner companies and other platforms on NATS: accounts, credentials and durable consumers.

Isolation is by NATS *account* (deploy/nats/accounts.conf, generated from partners.yaml): the
services live in the `SPORTELLO` account, which owns JetStream; each partner and each platform
has an account of its own that imports exactly the few subjects it may use, and its one user is
further limited to those subjects. Passwords never enter the repository: the configuration
names them as environment variables (`$SPORTELLO_NATS_PASSWORD_<ACCOUNT>`), whose values are kept
in `<data dir>/secrets/nats.env` and handed to the partner in its credentials file.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import yaml
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, Field
from sportello_shared.contracts.envelope import SLUG
from sportello_shared.contracts.subjects import CASES_STREAM, ingest_subject

from .natsserver import NatsServer, nats_server_binary

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
        key = (member.tenant, member.name)
        if key in seen:
            # A partner and a platform with one name would share an ingest subject.
            raise ValueError(f"{member.name!r} is listed twice for {member.tenant!r}")
        seen.add(key)


# --- the NATS configuration --------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A NATS configuration variable reference (`$NAME`), resolved from the environment."""

    name: str


def render_accounts(integrations: Integrations, *, user_permissions: bool = True) -> str:
    """The accounts block; `user_permissions=False` only to prove the accounts isolate alone."""
    accounts: dict[str, Any] = {CORE_ACCOUNT: _core_account(integrations)}
    for member in integrations.members():
        accounts[member.account] = _member_account(member, user_permissions)
    header = (
        "# GENERATED from partners.yaml by `sportello-dev partner` (make partner): do not edit.\n"
        "# Passwords are environment variables; their values live in .data/secrets/nats.env.\n"
        "# JetStream storage, with sync_interval: always, is set in sportello.conf.\n"
    )
    return header + "accounts: " + _conf(accounts) + "\n"


def _core_account(integrations: Integrations) -> dict[str, Any]:
    exports: list[dict[str, Any]] = []
    for member in integrations.members():
        for imported in member.imported_services():
            export: dict[str, Any] = {"service": imported.subject, "accounts": [member.account]}
            if imported.response_type:
                export["response_type"] = imported.response_type
                export["response_threshold"] = RESPONSE_THRESHOLD
            exports.append(export)
    return {
        "jetstream": Ref("enabled"),
        "users": [{"user": SERVICES_USER, "password": Ref(SERVICES_PASSWORD)}],
        "exports": exports,
    }


def _member_account(member: Partner | Platform, user_permissions: bool) -> dict[str, Any]:
    imports = member.imported_services()
    user: dict[str, Any] = {"user": member.user, "password": Ref(member.password_variable)}
    if user_permissions:
        # Belt and braces: the account sees nothing else anyway, but a denied subject is an
        # explicit error the partner's developers see at once, not silence.
        user["permissions"] = {
            "publish": {"allow": [imported.local_subject for imported in imports]},
            "subscribe": {"allow": ["_INBOX.>"]},
        }
    return {"users": [user], "imports": [_import(imported) for imported in imports]}


def _import(imported: Import) -> dict[str, Any]:
    entry: dict[str, Any] = {"service": {"account": CORE_ACCOUNT, "subject": imported.subject}}
    if imported.local:
        entry["to"] = imported.local
    return entry


def _conf(value: Any, indent: int = 0) -> str:
    """NATS configuration syntax; a block that fits on one line is written on one line."""
    if isinstance(value, Ref):
        # `enabled` is a keyword, everything else an environment variable
        return value.name if value.name == "enabled" else f"${value.name}"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        entries = [f"{_key(k)}: {_conf(v, indent + 1)}" for k, v in value.items()]
        return _block("{", entries, "}", indent)
    if isinstance(value, Iterable):
        return _block("[", [_conf(v, indent + 1) for v in value], "]", indent)
    raise TypeError(f"cannot write {value!r} to a NATS configuration")


def _block(opening: str, entries: list[str], closing: str, indent: int) -> str:
    inline = f"{opening}{', '.join(entries)}{closing}"
    if len(inline) + 2 * indent <= 100 and "\n" not in inline:
        return inline
    pad = "  " * (indent + 1)
    return opening + "\n" + "".join(f"{pad}{e}\n" for e in entries) + "  " * indent + closing


def _key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else json.dumps(key)


def write_accounts(integrations: Integrations, nats_dir: Path = NATS_DIR) -> bool:
    """Write accounts.conf if it changed; True when it did (the server needs a restart)."""
    path = nats_dir / ACCOUNTS_FILE
    text = render_accounts(integrations)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


# --- secrets and credentials -------------------------------------------------------------------


def secrets_file(data_dir: Path) -> Path:
    return data_dir / "secrets" / "nats.env"


def ensure_secrets(data_dir: Path, integrations: Integrations) -> dict[str, str]:
    """Every password the configuration names, creating the missing ones; existing ones stay."""
    path = secrets_file(data_dir)
    known = _read_env(path) if path.exists() else {}
    wanted = [SERVICES_PASSWORD, *(m.password_variable for m in integrations.members())]
    missing = [name for name in wanted if name not in known]
    if missing or not path.exists():
        known.update({name: new_password() for name in missing})
        _write_private(path, "".join(f"{k}={v}\n" for k, v in sorted(known.items())))
    return {name: known[name] for name in wanted}


def new_password() -> str:
    # Letters and digits only, starting with a letter: NATS parses an environment variable's
    # value as configuration, and must read it back as a plain string.
    return "s" + secrets.token_hex(24)


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return {key.strip(): value.strip() for key, value in pairs}


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def credentials(member: Partner | Platform, password: str, servers: list[str]) -> dict[str, Any]:
    """What is handed to the partner or platform: everything its program needs, nothing more."""
    handed: dict[str, Any] = {
        "servers": servers,
        "user": member.user,
        "password": password,
        "tenant": member.tenant,
        "role": member.role,
        "name": member.name,
        "ingest_subject": member.ingest_subject,
    }
    if isinstance(member, Partner):
        handed |= {
            "api_prefix": API_PREFIX,
            "stream": CASES_STREAM,
            "consumer": member.consumer,
            "filter_subject": member.filter_subject,
        }
    return handed


def credentials_file(data_dir: Path, member: Partner | Platform) -> Path:
    return data_dir / "partners" / f"{member.role}-{member.tenant}-{member.name}.json"


def write_credentials(
    data_dir: Path, member: Partner | Platform, password: str, servers: list[str]
) -> Path:
    path = credentials_file(data_dir, member)
    _write_private(path, json.dumps(credentials(member, password, servers), indent=2) + "\n")
    return path


# --- the partner's durable consumer ------------------------------------------------------------


def consumer_config(partner: Partner) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=partner.consumer,
        name=partner.consumer,
        description=f"{partner.name} ({partner.tenant}): events of the cases it handles",
        filter_subject=partner.filter_subject,
        # From the beginning: a new partner also sees the cases assigned before it connected.
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=CONSUMER_ACK_WAIT_SECONDS,
        max_ack_pending=CONSUMER_MAX_ACK_PENDING,
    )


async def ensure_consumer(servers: list[str], user: str, password: str, partner: Partner) -> bool:
    """Create the partner's durable consumer; True if created, False if it existed (kept as is,
    so re-running never moves a partner's position)."""
    nc = await nats.connect(
        servers=servers,
        user=user,
        password=password,
        connect_timeout=5,
        allow_reconnect=False,
        max_reconnect_attempts=1,
        error_cb=_raised_anyway,
    )
    try:
        js = nc.jetstream()
        try:
            await js.consumer_info(CASES_STREAM, partner.consumer)
        except NotFoundError:
            await js.add_consumer(CASES_STREAM, consumer_config(partner))
            return True
        return False
    finally:
        await nc.close()


async def _raised_anyway(error: Exception) -> None:
    """nats-py would log every failed attempt; `connect` raises the outcome instead."""


# --- a nats-server running the shipped configuration -------------------------------------------


class ConfiguredNatsServer(NatsServer):
    """nats-server 2.15 from the wheel with deploy/nats/sportello.conf and the secrets as env."""

    def __init__(
        self,
        nats_dir: Path,
        store_dir: Path,
        passwords: Mapping[str, str],
        port: int | None = None,
        log_file: Path | None = None,
    ) -> None:
        super().__init__(store_dir, port, log_file)
        self.nats_dir = nats_dir
        self.passwords = dict(passwords)

    def command(self) -> list[str]:
        return [
            nats_server_binary(),
            "-c",
            str(self.nats_dir / SERVER_FILE),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-sd",
            str(self.store_dir),
        ]

    def process_env(self) -> dict[str, str]:
        return {**os.environ, **self.passwords}
