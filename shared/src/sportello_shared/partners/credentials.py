"""The passwords the NATS configuration names, and the credentials file handed to a partner."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from sportello_contracts.subjects import CASES_STREAM

from .members import API_PREFIX, SERVICES_PASSWORD, Integrations, Partner, Platform
from .service_users import SERVICE_USERS


def secrets_file(data_dir: Path) -> Path:
    return data_dir / "secrets" / "nats.env"


def ensure_secrets(data_dir: Path, integrations: Integrations) -> dict[str, str]:
    """Every password the configuration names, creating the missing ones; existing ones stay."""
    path = secrets_file(data_dir)
    known = _read_env(path) if path.exists() else {}
    wanted = [
        SERVICES_PASSWORD,
        *(user.password_variable for user in SERVICE_USERS),
        *(m.password_variable for m in integrations.members()),
    ]
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
            "personal_subject": member.personal_subject,
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
