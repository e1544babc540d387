"""The NATS accounts block (deploy/nats/accounts.conf), generated from partners.yaml."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .members import (
    ACCOUNTS_FILE,
    CORE_ACCOUNT,
    NATS_DIR,
    RESPONSE_THRESHOLD,
    SERVICES_PASSWORD,
    SERVICES_USER,
    Import,
    Integrations,
    Partner,
    Platform,
)
from .service_users import SERVICE_USERS


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
        # `sportello`: operations (sportello-partners, restream), never given to a service; each
        # service connects as its own user (service_users.py)
        "users": [
            {"user": SERVICES_USER, "password": Ref(SERVICES_PASSWORD)},
            *(
                {
                    "user": user.name,
                    "password": Ref(user.password_variable),
                    "permissions": user.permissions(),
                }
                for user in SERVICE_USERS
            ),
        ],
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
    if isinstance(value, bool):
        return "true" if value else "false"
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
